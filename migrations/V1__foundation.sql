-- Foundation schema: tenants, API keys (hashed), and metered usage stored once per event id.

create table tenants (
    id          varchar(64) primary key,
    name        text        not null,
    created_at  timestamptz not null default now()
);

create table api_keys (
    id            uuid primary key,
    tenant_id     varchar(64) not null references tenants (id),
    name          text        not null,
    -- First characters of the key, safe to show, so people can tell keys apart.
    key_prefix    varchar(16) not null,
    -- SHA-256 of the whole key; the key itself is never stored.
    key_hash      bytea       not null unique,
    roles         text        not null,
    created_at    timestamptz not null default now(),
    revoked_at    timestamptz,
    last_used_at  timestamptz
);

create index api_keys_tenant_idx on api_keys (tenant_id);

-- One row per usage event; the primary key is the event id made once per request,
-- so a redelivered event can never be stored (or billed) twice.
create table usage_records (
    event_id           uuid primary key,
    tenant_id          varchar(64) not null,
    api_key_id         uuid,
    base_model         text        not null,
    adapter            text,
    provider           text,
    tokens_prompt      integer     not null check (tokens_prompt >= 0),
    tokens_completion  integer     not null check (tokens_completion >= 0),
    status             varchar(16) not null check (status in ('completed', 'cancelled', 'failed')),
    finish_reason      varchar(32),
    ttft_ms            bigint,
    duration_ms        bigint,
    trace_id           varchar(64),
    occurred_at        timestamptz not null,
    recorded_at        timestamptz not null default now(),
    kafka_partition    integer,
    kafka_offset       bigint
);

create index usage_records_tenant_time_idx on usage_records (tenant_id, occurred_at);
