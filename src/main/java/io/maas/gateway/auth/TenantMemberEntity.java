package io.maas.gateway.auth;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/** A person or service account of a tenant, known by OIDC subject and/or email, with one role. */
@Entity
@Table(name = "tenant_members")
public class TenantMemberEntity extends PanacheEntityBase {
    @Id
    public UUID id;
    @Column(name = "tenant_id")
    public String tenantId;
    /** The OIDC {@code sub} claim; null when known by email only. */
    public String subject;
    /** Lower-cased email; null when known by subject only. */
    public String email;
    public String role;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "created_by")
    public String createdBy;
}
