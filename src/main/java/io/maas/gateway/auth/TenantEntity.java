package io.maas.gateway.auth;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/** A customer organisation; API keys and usage belong to exactly one tenant. */
@Entity
@Table(name = "tenants")
public class TenantEntity extends PanacheEntityBase {
    /** The platform operator's own tenant, which holds the bootstrap admin key. */
    public static final String PLATFORM_TENANT_ID = "platform";

    @Id
    public String id;
    public String name;
    @Column(name = "created_at")
    public Instant createdAt;
}
