-- Identity and tenancy: API key scopes and the audit log of tenant, key and admin actions.

-- Models a key may use; an empty array means every model the gateway serves.
alter table api_keys add column allowed_models text[] not null default '{}';

-- Who did what to which object, and when. Written in the same transaction as the action it records;
-- rows are never updated or deleted by the application.
create table audit_log (
    id                bigserial   primary key,
    occurred_at       timestamptz not null default now(),
    -- The principal name (an API key as "key:<uuid>", an OIDC user or service account by name).
    actor             text        not null,
    actor_tenant_id   varchar(64),
    action            varchar(64) not null,
    target_type       varchar(32) not null,
    target_id         text        not null,
    target_tenant_id  varchar(64),
    -- Non-secret details of the change as JSON.
    details           text
);

create index audit_log_time_idx on audit_log (occurred_at desc);
create index audit_log_target_tenant_idx on audit_log (target_tenant_id, occurred_at desc);
