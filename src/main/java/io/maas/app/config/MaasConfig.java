package io.maas.app.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The application's own settings (prefix {@code maas}); every key is listed in docs/configuration.md. */
@ConfigMapping(prefix = "maas")
public interface MaasConfig {

    /** Folder for embedded PostgreSQL and Kafka data, models, adapters and the bootstrap key (env MAAS_DATA_DIR). */
    @WithDefault("data")
    Path dataDir();

    /** Sets the bootstrap platform-admin API key instead of generating one (env MAAS_BOOTSTRAP_ADMIN_KEY). */
    Optional<String> bootstrapAdminKey();

    /** Folder scanned for model directories; defaults to {@code <data-dir>/models}. */
    Optional<Path> modelsDir();

    /** Folder scanned for PEFT LoRA adapters (id = folder name); defaults to {@code <data-dir>/adapters}. */
    Optional<Path> adaptersDir();

    /** Folder scanned for embedding models ({@code model.onnx} + {@code tokenizer.json}); defaults to {@code <data-dir>/embeddings}. */
    Optional<Path> embeddingsDir();

    /** The generated demo model. */
    DemoModel demoModel();

    /** Admission to the inference engine. */
    Inference inference();

    /** The metering publisher. */
    Metering metering();

    /** Rate limits: the defaults for every caller, overridden per tenant. */
    Limits limits();

    /** Billing as the gateway sees it: budgets and hard limits. */
    Billing billing();

    /** Authentication: the API-key cache and last-used recording. */
    Auth auth();

    /** The billing console's sessions. */
    Console console();

    /** HTTP request bounds answered by the application (as OpenAI error objects). */
    Http http();

    /** Metrics, health and the slow-request log (docs/adr/0011-observability-and-deployment.md). */
    Observability observability();

    /**
     * The role this instance plays: all (the embedded default), gateway, worker or billing. The deployment contract
     * of k8s/ (docs/operations.md): readiness (billing needs no models) and the internal worker API (all and worker
     * serve it; docs/adr/0014-worker-fleet.md).
     */
    @WithDefault("all")
    Role role();

    /** The roles of one application image. */
    enum Role {
        ALL, GATEWAY, WORKER, BILLING
    }

    /** Continuous batching of generations per base model. */
    Scheduler scheduler();
    /** Scheduled invoice finalization after each billing period. */
    Invoicing invoicing();

    /** The marketplace catalog: uploads, their bounds, the content-addressed store. */
    Catalog catalog();

    /** The demo model generated on first start when no model is present. */
    interface DemoModel {
        /** Generate the demo model when the models folder holds no model. */
        @WithDefault("true")
        boolean enabled();

        /** Folder name, and so model id, of the demo model. */
        @WithDefault("demo-tiny")
        String id();

        /** Seed of its random weights: the same seed gives byte-identical files. */
        @WithDefault("42")
        long seed();
    }

    /** Bounds on work handed to the engine. */
    interface Inference {
        /** Engine threads: requests generating at once. */
        @WithDefault("4")
        int maxConcurrent();

        /** Requests waiting for an engine thread; beyond it a request gets 503 engine_overloaded at once. */
        @WithDefault("256")
        int maxQueued();

        /** max_tokens when a completion request names none (OpenAI's default for completions). */
        @WithDefault("16")
        int defaultMaxTokens();

        /** Upper bound accepted for max_tokens. */
        @WithDefault("4096")
        int maxTokensLimit();
    }

    /** Per-caller rate limits and per-tenant concurrency. */
    interface RateLimits {
        /** Requests per minute per API key (token bucket). */
        @WithDefault("600")
        long requestsPerMinute();

        /** Tokens per minute per API key; a request reserves prompt + max_tokens and settles to its usage. */
        @WithDefault("1000000")
        long tokensPerMinute();

        /** Requests of one tenant generating or queued at once. */
        @WithDefault("32")
        int concurrentPerTenant();
    }

    /** The defaults for every caller, and overrides by tenant. */
    interface Limits extends RateLimits {
        /** Overrides by tenant id, e.g. {@code maas.limits.tenants."acme".requests-per-minute=60}. */
        Map<String, RateLimits> tenants();
    }

    /** Usage-event publishing. */
    interface Metering {
        /** CloudEvents {@code source} of events this gateway emits. */
        @WithDefault("/maas/gateway")
        String source();

        /** Events held in memory for the producer; beyond it they go straight to the spool. */
        @WithDefault("10000")
        int queueCapacity();

        /** Most events the publisher sends (or replays) as one batch. */
        @WithDefault("500")
        int batchMaxEvents();

        /** How long the publisher waits for more events to join a batch after the first (asynchronous to requests). */
        @WithDefault("25ms")
        Duration linger();

        /** How long the broker may take to acknowledge an event before it is spooled instead. */
        @WithDefault("10s")
        Duration deliveryTimeout();

        /** Folder of the durable spool; defaults to {@code <data-dir>/spool/usage}. */
        Optional<Path> spoolDir();

        /** Bound of the spool on disk; near it the gateway refuses new requests with 503. */
        @WithDefault("1073741824")
        long spoolMaxBytes();

        /** Group-commit window: spooled events are fsynced at most this long after being written. */
        @WithDefault("5ms")
        Duration spoolFsyncInterval();
    }

    /** Budget hard limits, checked by the gateway before each completion. */
    interface Billing {
        /** How long a tenant's "hard limit reached" answer is reused before the database is asked again. */
        @WithDefault("5s")
        Duration budgetCacheTtl();

        /** Bound on tenants held in that cache; when full it is emptied and refilled on demand. */
        @WithDefault("100000")
        int budgetCacheMaxTenants();
    }

    /** Authentication of API keys. */
    interface Auth {
        /** How long an authenticated key is cached: the bound on how long a revoked key keeps working. */
        @WithDefault("5s")
        Duration keyCacheTtl();

        /** Most keys cached at once (and most last-used notes pending); beyond it keys are looked up each time. */
        @WithDefault("10000")
        int keyCacheMaxEntries();

        /** A key's last-used time is noted at most once per this interval. */
        @WithDefault("60s")
        Duration lastUsedGranularity();

        /** How often noted last-used times are written to the database, off the request path. */
        @WithDefault("10s")
        Duration lastUsedFlushInterval();

        /** Failed authentications a source IP may have per failure-window before it gets 429. */
        @WithDefault("20")
        int failureLimit();

        /** The window over which failed authentications are counted per source. */
        @WithDefault("1m")
        Duration failureWindow();

        /** Most sources tracked at once; beyond it new sources are not tracked (nor refused). */
        @WithDefault("100000")
        int failureSourcesMax();

        /**
         * How long a token's tenant membership (for tokens without a tenant claim) is cached; a membership
         * changed on another gateway takes effect here within this time (through this gateway at once).
         */
        @WithDefault("5s")
        Duration memberCacheTtl();
    }

    /** Request bounds checked before any other route, so they are answered as OpenAI error objects. */
    interface Http {
        /** Largest header block (names, values, separators) accepted; beyond it 431. */
        @WithDefault("16K")
        io.quarkus.runtime.configuration.MemorySize maxHeaderSize();
    }

    /** The billing console at {@code /console}: its server-side login sessions (docs/adr/0008-console.md). */
    interface Console {
        /** A session unused this long ends (the next page asks to log in again). */
        @WithDefault("30m")
        Duration sessionIdleTimeout();

        /** A session ends this long after login, however active. */
        @WithDefault("12h")
        Duration sessionMaxAge();

        /** Most sessions held at once; beyond it the oldest session ends to make room. */
        @WithDefault("10000")
        int sessionsMax();
    }

    /** Metrics, health and the slow-request log. */
    interface Observability {
        /** Requests that take at least this long (to the last byte) are logged with their timing breakdown. */
        @WithDefault("5s")
        Duration slowRequestThreshold();

        /** How long the readiness check waits for the Kafka cluster to answer a describe-cluster call. */
        @WithDefault("2s")
        Duration kafkaHealthTimeout();

        /** How long a Kafka readiness answer (and the consumer-lag figure) is reused before asking the broker again. */
        @WithDefault("5s")
        Duration kafkaHealthCacheTtl();
    }

    /** The engine's continuous-batching scheduler (one per base model, one thread driving all its steps). */
    interface Scheduler {
        /** Generate through the scheduler; false runs each request on its own engine thread (no batching). */
        @WithDefault("true")
        boolean enabled();

        /** Sequences decoded together in one forward step. */
        @WithDefault("16")
        int maxBatchSize();

        /** KV cache positions (prompt + max_tokens per sequence) the running batch may reserve. */
        @WithDefault("65536")
        long maxTokensInFlight();

        /** Requests waiting for a place in the batch; beyond it a request gets 503 engine_overloaded at once. */
        @WithDefault("256")
        int maxQueueLength();
    }

    /** The worker fleet: gateways routing generation to workers (docs/adr/0014-worker-fleet.md). */
    Fleet fleet();

    /** Gateway → worker routing and the workers' internal API. */
    interface Fleet {
        /** Base URLs of the workers ({@code http://host:port}); empty generates in this process. */
        Optional<List<String>> workers();

        /**
         * DNS SRV name listing the workers, e.g. {@code _http._tcp.maas-worker-headless.maas.svc.cluster.local} (a
         * Kubernetes headless Service); re-resolved every {@code workers-dns-interval} and used instead of
         * {@code workers} (docs/adr/0019-gateway-metadata-and-k8s-fleet.md).
         */
        Optional<String> workersDns();

        /** How often the gateway resolves {@code workers-dns} again (workers scaled in or out join or leave). */
        @WithDefault("10s")
        Duration workersDnsInterval();

        /** The DNS server ({@code host:port}) asked for {@code workers-dns}; unset, those of /etc/resolv.conf. */
        Optional<String> workersDnsServer();

        /** Shared secret of the internal API; unset, the internal API answers 404. */
        Optional<String> internalToken();

        /** On workers, a second secret also accepted (the one being rotated out); gateways send {@link #internalToken()}. */
        Optional<String> internalTokenPrevious();

        /** How often the gateway asks each worker for its status; a failed poll takes it off the ring. */
        @WithDefault("2s")
        Duration pollInterval();

        /** Connect and status-poll timeout toward a worker. */
        @WithDefault("2s")
        Duration connectTimeout();

        /** Workers one request may try before the first token (a failed worker is not tried again). */
        @WithDefault("3")
        int maxAttempts();

        /** Bound on a worker's load as a percentage of the fleet average (bounded-load consistent hashing). */
        @WithDefault("125")
        int loadFactorPercent();
    }

    /** Marketplace catalog: where published files live and the bounds every upload is checked against. */
    interface Catalog {
        /** Root of the content-addressed store (blobs by SHA-256, version folders, upload staging). */
        Optional<Path> storeDir();

        /** Largest archive accepted on the upload route (its own bound instead of the global 1M body limit). */
        @WithDefault("268435456")
        long maxUploadBytes();

        /** Most files one archive may hold. */
        @WithDefault("64")
        int maxFiles();

        /** Largest uncompressed size of one file in an archive. */
        @WithDefault("1073741824")
        long maxFileBytes();

        /** Largest uncompressed size of all files of an archive together. */
        @WithDefault("2147483648")
        long maxTotalBytes();

        /** Largest ratio of uncompressed bytes to archive bytes (zip bombs), checked once past 1 MiB. */
        @WithDefault("100")
        int maxCompressionRatio();

        /** Decision for a license the policy does not list: allow or deny. */
        @WithDefault("allow")
        String licenseDefault();

        /** How long a gateway serves from its snapshot of the catalog before reading it again. */
        @WithDefault("5s")
        Duration cacheTtl();
    }

    /** The scheduled finalization of invoices (io.maas.app.scheduling.InvoiceFinalizationJob). */
    interface Invoicing {
        /**
         * How often the finalizer looks for drafts of ended periods, as a Quarkus scheduler interval ({@code 1h},
         * {@code 15m}, {@code PT30M}); {@code off} disables it (finalize-due is then an admin action only).
         */
        @WithDefault("1h")
        String finalizeEvery();

        /** How long after a period's end its invoices wait before the scheduler finalizes them (late usage in flight). */
        @WithDefault("15m")
        Duration finalizeGrace();

        /** Invoices finalized per transaction; the run repeats until fewer are due. */
        @WithDefault("1000")
        int finalizeBatchSize();
    }
}
