package io.maas.gateway.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import io.maas.testing.TinyDns;

/**
 * Worker discovery through DNS SRV records, against a real (tiny) DNS server on loopback answering as Kubernetes does
 * for a headless Service: the workers' stable host names and port; a name without ready pods answers NXDOMAIN; a
 * truncated UDP answer is asked again over TCP. No JNDI: Quarkus disables it inside the application.
 */
class WorkerDiscoveryTest {
    private static final String SRV = "_http._tcp.maas-worker-headless.maas.svc.cluster.local";

    @Test
    void srvRecordsOfAHeadlessServiceBecomeStableWorkerUrls() throws Exception {
        try (TinyDns dns = new TinyDns()) {
            dns.records.put(SRV, List.of(
                    "0 50 8080 maas-worker-1.maas-worker-headless.maas.svc.cluster.local",
                    "0 50 8080 maas-worker-0.maas-worker-headless.maas.svc.cluster.local"));
            WorkerDiscovery.DnsSrvLookup lookup = new WorkerDiscovery.DnsSrvLookup(dns.client());
            assertEquals(List.of("http://maas-worker-0.maas-worker-headless.maas.svc.cluster.local:8080",
                    "http://maas-worker-1.maas-worker-headless.maas.svc.cluster.local:8080"), lookup.workers(SRV));
            // No ready worker: Kubernetes has no records for the name.
            assertEquals(List.of(), lookup.workers("_http._tcp.nothing-ready.maas.svc.cluster.local"));
        }
    }

    @Test
    void scalingChangesTheFleetOnlyWhenTheAnswerChangesAndAFailedLookupKeepsTheLastList() throws Exception {
        try (TinyDns dns = new TinyDns()) {
            WorkerDiscovery discovery = new WorkerDiscovery();
            discovery.useLookup(new WorkerDiscovery.DnsSrvLookup(dns.client()));
            List<List<String>> handed = new ArrayList<>();
            Consumer<List<String>> fleet = handed::add;
            String w0 = "0 50 8080 maas-worker-0.maas-worker-headless.maas.svc.cluster.local";
            String w1 = "0 50 8080 maas-worker-1.maas-worker-headless.maas.svc.cluster.local";

            dns.records.put(SRV, List.of(w0));
            assertTrue(discovery.refresh(SRV, fleet));
            assertTrue(discovery.refresh(SRV, fleet)); // same answer: the fleet is not disturbed
            assertEquals(1, handed.size());
            dns.records.put(SRV, List.of(w0, w1)); // scaled out
            assertTrue(discovery.refresh(SRV, fleet));
            assertEquals(2, handed.get(1).size());

            discovery.useLookup(name -> {
                throw new java.io.IOException("resolver unreachable");
            });
            assertFalse(discovery.refresh(SRV, fleet));
            assertEquals(2, discovery.current().size(), "a failed lookup keeps the last workers");
            assertEquals(2, handed.size());

            discovery.useLookup(new WorkerDiscovery.DnsSrvLookup(dns.client()));
            dns.records.put(SRV, List.of(w1)); // scaled in
            assertTrue(discovery.refresh(SRV, fleet));
            assertEquals(List.of("http://maas-worker-1.maas-worker-headless.maas.svc.cluster.local:8080"),
                    handed.get(2));
        }
    }

    @Test
    void aTruncatedUdpAnswerIsFetchedWholeOverTcp() throws Exception {
        try (TinyDns dns = new TinyDns()) {
            List<String> twelve = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                twelve.add("0 50 8080 maas-worker-" + i + ".maas-worker-headless.maas.svc.cluster.local");
            }
            dns.records.put(SRV, twelve);
            dns.udpRecords = 3;
            List<String> urls = new WorkerDiscovery.DnsSrvLookup(dns.client()).workers(SRV);
            assertEquals(12, urls.size(), "every worker, not the first few: " + urls);
            assertEquals(1, dns.tcpQueries.get());
            dns.udpRecords = Integer.MAX_VALUE;
            assertEquals(12, new WorkerDiscovery.DnsSrvLookup(dns.client()).workers(SRV).size());
            assertEquals(1, dns.tcpQueries.get(), "an answer that fits needs no TCP");
        }
    }

    @Test
    void malformedRecordsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> WorkerDiscovery.urls(List.of("0 50 host.")));
        assertThrows(IllegalArgumentException.class, () -> WorkerDiscovery.urls(List.of("0 50 0 host.")));
        assertEquals(List.of("http://a.b:9000"), WorkerDiscovery.urls(List.of("1 1 9000 a.b.", "2 1 9000 a.b")));
    }
}
