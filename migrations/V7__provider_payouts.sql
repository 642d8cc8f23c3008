-- Provider payouts: money paid to an adapter's provider for its earnings of a period. Each payout is also a
-- ledger transaction (kind payout: debit provider:<id>:payable, credit platform:cash); this table keeps the
-- client's idempotency key and what was asked, so a retried request is recognised. See docs/adr/0012.
create table provider_payouts (
    id              varchar(64) primary key,
    provider_id     text        not null,
    period_start    date        not null,
    amount_micros   bigint      not null check (amount_micros > 0),
    currency        char(3)     not null default 'USD',
    reference       text,
    transaction_id  uuid        not null unique references ledger_transactions (id),
    created_at      timestamptz not null default now()
);

create index provider_payouts_provider_idx on provider_payouts (provider_id, period_start);

create trigger provider_payouts_append_only before update or delete on provider_payouts
    for each row execute function billing_refuse_change();

-- Monthly token quotas per tenant, checked by the gateway against the usage rollups (usage_rollups_daily):
-- a tenant whose tokens of the current UTC month reached its quota gets 429 insufficient_quota.
create table tenant_token_quotas (
    tenant_id       varchar(64) primary key,
    monthly_tokens  bigint      not null check (monthly_tokens > 0),
    updated_at      timestamptz not null default now()
);
