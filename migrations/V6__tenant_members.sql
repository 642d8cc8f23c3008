-- Tenant members: people (OIDC users) and service accounts that belong to a tenant with one role, managed by
-- the tenant's admins through /v1/members. A token without a tenant_id claim is mapped to its tenant and role
-- through this table, by its subject, else by its verified email (docs/adr/0013-gateway-identity-remainders.md).
create table tenant_members (
    id          uuid        primary key,
    tenant_id   varchar(64) not null references tenants (id),
    -- The OIDC 'sub' claim (Keycloak: the user's id); null when the member is known by email only.
    subject     varchar(255),
    -- Lower-cased; matched only against tokens whose email is verified.
    email       varchar(320),
    role        varchar(32) not null check (role in ('tenant-admin', 'tenant-member', 'provider')),
    created_at  timestamptz not null default now(),
    -- The principal that added the member (as the audit log names it).
    created_by  text        not null,
    check (subject is not null or email is not null),
    check (email is null or email = lower(email))
);

-- One principal, one tenant: a subject or an email is a member of at most one tenant.
create unique index tenant_members_subject_idx on tenant_members (subject) where subject is not null;
create unique index tenant_members_email_idx on tenant_members (email) where email is not null;
create index tenant_members_tenant_idx on tenant_members (tenant_id, created_at);
