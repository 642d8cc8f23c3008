package io.maas.gateway.auth;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

/** Creates and checks API keys; the only place that sees a secret, and only long enough to hash it. */
@ApplicationScoped
public class ApiKeyService {

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

    /** The principal of an active key with this secret, if any. */
    @Transactional
    public Optional<KeyPrincipal> authenticate(String secret) {
        if (!ApiKeySecrets.looksLikeKey(secret)) {
            return Optional.empty();
        }
        byte[] hash = ApiKeySecrets.hash(secret);
        ApiKeyEntity key = ApiKeyEntity.findByHash(hash);
        // The lookup is by hash; compare again in constant time so equality is never decided byte by byte.
        if (key == null || !MessageDigest.isEqual(hash, key.keyHash) || key.revokedAt != null) {
            return Optional.empty();
        }
        return Optional.of(new KeyPrincipal(key.id, key.tenantId, key.roleSet(), key.allowedModelSet()));
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
