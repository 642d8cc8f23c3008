package io.maas.gateway.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

/**
 * Worker discovery through DNS SRV records, against a real (tiny) DNS server on loopback answering as Kubernetes does
 * for a headless Service: the workers' stable host names and port; a name without ready pods answers NXDOMAIN; a
 * truncated UDP answer is asked again over TCP. No JNDI: Quarkus disables it inside the application.
 */
class WorkerDiscoveryTest {
    private static final String SRV = "_http._tcp.maas-worker-headless.maas.svc.cluster.local";

    /**
     * Answers SRV questions from {@code records} (name -> "priority weight port target"), NXDOMAIN otherwise, on UDP
     * and TCP of one port; over UDP an answer of more than {@code udpRecords} records is truncated (TC, no records),
     * as a server does when the answer exceeds the UDP payload.
     */
    private static final class TinyDns implements AutoCloseable {
        final ServerSocket tcp;
        final DatagramSocket socket;
        final Map<String, List<String>> records = new ConcurrentHashMap<>();
        final AtomicInteger tcpQueries = new AtomicInteger();
        volatile int udpRecords = Integer.MAX_VALUE;

        TinyDns() throws Exception {
            tcp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            socket = new DatagramSocket(tcp.getLocalPort(), InetAddress.getLoopbackAddress());
            Thread udp = new Thread(this::serve, "tiny-dns-udp");
            udp.setDaemon(true);
            udp.start();
            Thread stream = new Thread(this::serveTcp, "tiny-dns-tcp");
            stream.setDaemon(true);
            stream.start();
        }

        DnsSrvClient client() {
            return new DnsSrvClient(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), tcp.getLocalPort())),
                    2000);
        }

        private void serve() {
            byte[] buf = new byte[4096];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket in = new DatagramPacket(buf, buf.length);
                    socket.receive(in);
                    byte[] answer = answer(ByteBuffer.wrap(in.getData(), 0, in.getLength()), true);
                    socket.send(new DatagramPacket(answer, answer.length, in.getSocketAddress()));
                } catch (Exception e) {
                    return;
                }
            }
        }

        private void serveTcp() {
            while (!tcp.isClosed()) {
                try (Socket s = tcp.accept()) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    byte[] query = new byte[in.readUnsignedShort()];
                    in.readFully(query);
                    tcpQueries.incrementAndGet();
                    byte[] answer = answer(ByteBuffer.wrap(query), false);
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    out.writeShort(answer.length);
                    out.write(answer);
                    out.flush();
                } catch (Exception e) {
                    if (tcp.isClosed()) {
                        return;
                    }
                }
            }
        }

        private byte[] answer(ByteBuffer q, boolean udp) {
            short id = q.getShort();
            q.position(12);
            StringBuilder name = new StringBuilder();
            for (int len = q.get(); len != 0; len = q.get()) {
                byte[] label = new byte[len];
                q.get(label);
                name.append(name.length() == 0 ? "" : ".").append(new String(label, StandardCharsets.US_ASCII));
            }
            int qtype = q.getShort();
            q.getShort(); // class
            int questionEnd = q.position();
            List<String> found = qtype == 33 ? records.get(name.toString().toLowerCase()) : null;
            boolean truncated = udp && found != null && found.size() > udpRecords;
            if (truncated) {
                found = List.of();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer header = ByteBuffer.allocate(12).putShort(id) // NXDOMAIN, or an authoritative answer (maybe TC)
                    .putShort((short) (found == null ? 0x8183 : truncated ? 0x8780 : 0x8580))
                    .putShort((short) 1).putShort((short) (found == null ? 0 : found.size())).putShort((short) 0)
                    .putShort((short) 0);
            out.writeBytes(header.array());
            out.write(q.array(), 12, questionEnd - 12);
            for (String r : found == null ? List.<String>of() : found) {
                String[] p = r.split(" ");
                ByteArrayOutputStream target = new ByteArrayOutputStream();
                for (String label : p[3].split("\\.")) {
                    target.write(label.length());
                    target.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
                }
                target.write(0);
                byte[] t = target.toByteArray();
                ByteBuffer rr = ByteBuffer.allocate(12 + 6 + t.length).putShort((short) 0xC00C).putShort((short) 33)
                        .putShort((short) 1).putInt(30).putShort((short) (6 + t.length))
                        .putShort(Short.parseShort(p[0])).putShort(Short.parseShort(p[1]))
                        .putShort((short) Integer.parseInt(p[2])).put(t);
                out.writeBytes(rr.array());
            }
            return out.toByteArray();
        }

        @Override
        public void close() throws Exception {
            socket.close();
            tcp.close();
        }
    }

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
