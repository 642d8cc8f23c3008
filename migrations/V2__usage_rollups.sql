-- Usage rollups per tenant / base model / adapter, by hour and by day (UTC), maintained by the billing
-- consumer in the same transaction that stores the events they count. adapter '' = the bare base model.

create table usage_rollups_hourly (
    tenant_id          varchar(64) not null,
    base_model         text        not null,
    adapter            text        not null default '',
    hour               timestamptz not null,
    requests           bigint      not null,
    tokens_prompt      bigint      not null,
    tokens_completion  bigint      not null,
    primary key (tenant_id, base_model, adapter, hour)
);

create table usage_rollups_daily (
    tenant_id          varchar(64) not null,
    base_model         text        not null,
    adapter            text        not null default '',
    day                date        not null,
    requests           bigint      not null,
    tokens_prompt      bigint      not null,
    tokens_completion  bigint      not null,
    primary key (tenant_id, base_model, adapter, day)
);

create index usage_rollups_hourly_hour_idx on usage_rollups_hourly (hour);
create index usage_rollups_daily_day_idx on usage_rollups_daily (day);
