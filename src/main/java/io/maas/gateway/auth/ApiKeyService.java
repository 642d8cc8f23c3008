package io.maas.gateway.auth;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import jakarta.transaction.Transactional;

import io.maas.app.config.MaasConfig;

/**
 * Creates and checks API keys; the only place that sees a secret, and only long enough to hash it.
 * Authenticated keys are cached for {@code maas.auth.key-cache-ttl} (see {@link KeyCache}).
 */
@ApplicationScoped
public class ApiKeyService {
    @Inject
    MaasConfig config;
    @Inject
    TransactionSynchronizationRegistry transactions;

    private KeyCache cache;
    /** Database lookups in progress by key hash: concurrent misses of one key share one (see {@link #authenticateShared}). */
    private final ConcurrentHashMap<String, CompletableFuture<Optional<KeyPrincipal>>> lookups = new ConcurrentHashMap<>();
    private final AtomicLong databaseLookups = new AtomicLong();

    @PostConstruct
    void init() {
        cache = new KeyCache(config.auth().keyCacheTtl(), config.auth().keyCacheMaxEntries(), System::nanoTime);
    }

    /** A key just created: the secret is returned this once and never stored. */
    public record CreatedKey(String secret, ApiKeyEntity key) {
    }

    /** What an authenticated key stands for. */
    public record KeyPrincipal(UUID keyId, String tenantId, Set<String> roles, Set<String> allowedModels) {
    }

    @Transactional
    public CreatedKey create(String tenantId, String name, Set<String> roles) {
        return store(ApiKeySecrets.newSecret(), tenantId, name, roles);
    }

    /** Stores a key whose secret is given (the bootstrap key set by MAAS_BOOTSTRAP_ADMIN_KEY). */
    @Transactional
    public CreatedKey store(String secret, String tenantId, String name, Set<String> roles) {
        ApiKeyEntity key = new ApiKeyEntity();
        key.id = UUID.randomUUID();
        key.tenantId = tenantId;
        key.name = name;
        key.keyPrefix = ApiKeySecrets.visiblePrefix(secret);
        key.keyHash = ApiKeySecrets.hash(secret);
        key.roles = String.join(",", roles);
        key.createdAt = Instant.now();
        key.persist();
        return new CreatedKey(secret, key);
    }

    /** The principal of this secret if it is in the cache: no database, safe on the event loop. */
    public Optional<KeyPrincipal> cached(String secret) {
        if (!ApiKeySecrets.looksLikeKey(secret)) {
            return Optional.empty();
        }
        // Looked up by the SHA-256 of the secret: comparing digests reveals nothing usable about a secret.
        return cache.get(ApiKeySecrets.hash(secret));
    }

    /**
     * As {@link #authenticate}, but a request that misses the cache while the same key is already being looked up
     * waits for that lookup instead of querying too: when a busy key's entry expires, one query instead of one per
     * request in flight. {@link #invalidate} forgets the lookup in flight, so a request arriving after a revocation
     * never takes the answer of a lookup that started before it.
     */
    public Optional<KeyPrincipal> authenticateShared(String secret) {
        if (!ApiKeySecrets.looksLikeKey(secret)) {
            return Optional.empty();
        }
        String key = KeyCache.key(ApiKeySecrets.hash(secret));
        CompletableFuture<Optional<KeyPrincipal>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<KeyPrincipal>> running = lookups.putIfAbsent(key, mine);
        if (running != null) {
            try {
                return running.join();
            } catch (java.util.concurrent.CompletionException e) {
                // The shared lookup failed (e.g. the database): this request tries on its own.
                return authenticate(secret);
            }
        }
        try {
            Optional<KeyPrincipal> found = authenticate(secret);
            mine.complete(found);
            return found;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            lookups.remove(key, mine);
        }
    }

    /** Database lookups of keys so far (a test hook for the sharing above). */
    long databaseLookups() {
        return databaseLookups.get();
    }

    /** The principal of an active key with this secret, if any (from the cache, else the database). */
    @Transactional
    public Optional<KeyPrincipal> authenticate(String secret) {
        if (!ApiKeySecrets.looksLikeKey(secret)) {
            return Optional.empty();
        }
        byte[] hash = ApiKeySecrets.hash(secret);
        Optional<KeyPrincipal> hit = cache.get(hash);
        if (hit.isPresent()) {
            return hit;
        }
        databaseLookups.incrementAndGet();
        ApiKeyEntity key = ApiKeyEntity.findByHash(hash);
        // The lookup is by hash; compare again in constant time so equality is never decided byte by byte.
        if (key == null || !MessageDigest.isEqual(hash, key.keyHash) || key.revokedAt != null) {
            return Optional.empty();
        }
        KeyPrincipal principal = new KeyPrincipal(key.id, key.tenantId, key.roleSet(), key.allowedModelSet());
        cache.put(hash, principal);
        return Optional.of(principal);
    }

    /**
     * Drops a key from this gateway's cache now and again when the current transaction ends, so a request
     * racing the change cannot put the old state back. Other gateways see the change within the TTL.
     */
    public void invalidate(byte[] hash) {
        cache.invalidate(hash);
        lookups.remove(KeyCache.key(hash));
        if (transactions.getTransactionStatus() == Status.STATUS_ACTIVE) {
            transactions.registerInterposedSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                }

                @Override
                public void afterCompletion(int status) {
                    cache.invalidate(hash);
                    lookups.remove(KeyCache.key(hash));
                }
            });
        }
    }

    @Transactional
    public boolean exists(String secret) {
        return ApiKeyEntity.findByHash(ApiKeySecrets.hash(secret)) != null;
    }

    @Transactional
    public long countActiveWithRole(String role) {
        return ApiKeyEntity.<ApiKeyEntity>find("revokedAt is null").stream()
                .filter(k -> k.roleSet().contains(role))
                .count();
    }
}
