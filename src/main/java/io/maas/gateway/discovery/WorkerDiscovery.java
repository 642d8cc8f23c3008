package io.maas.gateway.discovery;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.maas.gateway.routing.WorkerFleet;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Finds the workers through DNS ({@code maas.fleet.workers-dns}): the SRV records of a Kubernetes headless Service
 * name one stable host per ready worker pod ({@code maas-worker-0.maas-worker-headless...}) and its port. Re-resolved
 * every {@code maas.fleet.workers-dns-interval}, so scaling the worker StatefulSet needs no gateway change; the fleet's
 * own status polls still decide which of them are live. A failed lookup keeps the last list; NXDOMAIN (no ready
 * worker) empties it.
 */
@ApplicationScoped
public class WorkerDiscovery {
    private static final Logger LOG = Logger.getLogger(WorkerDiscovery.class);

    @Inject
    MaasConfig config;
    @Inject
    WorkerFleet fleet;

    private ScheduledExecutorService resolver;
    private volatile List<String> current = List.of();

    /** Answers the worker base URLs behind one SRV name. */
    public interface SrvLookup {
        List<String> workers(String srvName) throws IOException;
    }

    /** Set at start (the system's resolvers) or by a test. */
    private SrvLookup lookup;

    void onStart(@Observes StartupEvent event) {
        Optional<String> name = config.fleet().workersDns();
        if (name.isEmpty()) {
            return;
        }
        if (config.fleet().workers().isPresent()) {
            LOG.warn("maas.fleet.workers and maas.fleet.workers-dns are both set; the DNS answer replaces the list");
        }
        if (lookup == null) {
            int timeoutMillis = (int) config.fleet().connectTimeout().toMillis();
            try {
                Optional<String> server = config.fleet().workersDnsServer();
                lookup = new DnsSrvLookup(server.isPresent()
                        ? new DnsSrvClient(List.of(hostPort(server.get())), timeoutMillis)
                        : DnsSrvClient.system(timeoutMillis));
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalStateException("maas.fleet.workers-dns is set but no DNS server is known: "
                        + e.getMessage(), e);
            }
        }
        refresh(name.get(), fleet::useWorkers);
        resolver = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "maas-fleet-dns");
            t.setDaemon(true);
            return t;
        });
        long every = config.fleet().workersDnsInterval().toMillis();
        resolver.scheduleWithFixedDelay(() -> refresh(name.get(), fleet::useWorkers), every, every, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (resolver != null) {
            resolver.shutdownNow();
        }
    }

    /** {@code host:port} (port 53 when absent; IPv6 as {@code [addr]:port}). */
    static java.net.InetSocketAddress hostPort(String value) {
        java.net.URI uri = java.net.URI.create("dns://" + value.trim());
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("maas.fleet.workers-dns-server must be host:port, was " + value);
        }
        return new java.net.InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 53 : uri.getPort());
    }

    /** The workers of the last successful lookup. */
    public List<String> current() {
        return current;
    }

    /** Resolves once and hands a changed list to {@code sink} (the fleet); returns whether the lookup succeeded. */
    boolean refresh(String srvName, java.util.function.Consumer<List<String>> sink) {
        List<String> found;
        try {
            found = lookup.workers(srvName);
        } catch (IOException | RuntimeException e) {
            LOG.warnf("worker discovery: DNS lookup of %s failed (%s); keeping %d workers", srvName, e.getMessage(),
                    current.size());
            return false;
        }
        if (!found.equals(current)) {
            LOG.infof("worker discovery: %s -> %s", srvName, found);
            current = found;
            sink.accept(found);
        }
        return true;
    }

    /** Replaces the DNS lookup (tests point it at their own DNS server). */
    void useLookup(SrvLookup replacement) {
        lookup = replacement;
    }

    /** Base URLs from SRV record values ({@code priority weight port target.}), sorted, duplicates removed. */
    public static List<String> urls(List<String> srvRecords) {
        java.util.TreeSet<String> urls = new java.util.TreeSet<>();
        for (String record : srvRecords) {
            String[] parts = record.trim().split("\\s+");
            if (parts.length != 4) {
                throw new IllegalArgumentException("not an SRV record value: " + record);
            }
            int port = Integer.parseInt(parts[2]);
            String host = parts[3].endsWith(".") ? parts[3].substring(0, parts[3].length() - 1) : parts[3];
            if (port < 1 || port > 65535 || host.isEmpty()) {
                throw new IllegalArgumentException("not an SRV record value: " + record);
            }
            urls.add("http://" + host + ":" + port);
        }
        return new ArrayList<>(urls);
    }

    /** SRV lookups with {@link DnsSrvClient} (the system's name servers unless given). */
    public static final class DnsSrvLookup implements SrvLookup {
        private final DnsSrvClient client;

        public DnsSrvLookup(DnsSrvClient client) {
            this.client = client;
        }

        @Override
        public List<String> workers(String srvName) throws IOException {
            return urls(client.srv(srvName));
        }
    }
}
