package io.maas.gateway.auth;

import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/** A stored API key: only its SHA-256 hash and a short visible prefix, never the key itself. */
@Entity
@Table(name = "api_keys")
public class ApiKeyEntity extends PanacheEntityBase {
    @Id
    public UUID id;
    @Column(name = "tenant_id")
    public String tenantId;
    public String name;
    @Column(name = "key_prefix")
    public String keyPrefix;
    @Column(name = "key_hash")
    public byte[] keyHash;
    /** Comma-separated role names. */
    public String roles;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "revoked_at")
    public Instant revokedAt;
    @Column(name = "last_used_at")
    public Instant lastUsedAt;
    /** Model ids this key may use; empty means every model. */
    @JdbcTypeCode(SqlTypes.ARRAY)
    @Column(name = "allowed_models")
    public String[] allowedModels = new String[0];

    public Set<String> roleSet() {
        return Arrays.stream(roles.split(",")).map(String::trim).filter(r -> !r.isEmpty()).collect(Collectors.toSet());
    }

    public Set<String> allowedModelSet() {
        return allowedModels == null ? Set.of() : Set.of(allowedModels);
    }

    public static ApiKeyEntity findByHash(byte[] hash) {
        return find("keyHash", hash).firstResult();
    }
}
