-- Billing: price book, reservations and their allowance use per period, marketplace shares, the double-entry
-- ledger, unrated usage, and invoices. Amounts are integer micros of the currency (1 USD = 1,000,000 µUSD);
-- rates are numeric micros per token (= currency units per million tokens). See docs/billing.md.

-- Rows that must never change once written (ledger, price entries, finalized invoices) are guarded here.
create function billing_refuse_change() returns trigger language plpgsql as $$
begin
    raise exception '% on % is not allowed: % is append-only', tg_op, tg_table_name, tg_table_name
        using errcode = 'P0001';
end $$;

-- Price book: one entry per model (adapter '' = the bare base model) and effective instant; never updated,
-- a new price is a new entry.
create table price_entries (
    id              bigserial   primary key,
    base_model      text        not null,
    adapter         text        not null default '',
    effective_from  timestamptz not null,
    charge_model    varchar(32) not null check (charge_model in ('flat', 'per_request_tiered', 'graduated_tiered')),
    currency        char(3)     not null default 'USD',
    created_at      timestamptz not null default now(),
    unique (base_model, adapter, effective_from)
);

create table price_tiers (
    price_entry_id           bigint        not null references price_entries (id),
    tier_index               integer       not null check (tier_index >= 0),
    -- Inclusive bound of the tier in tokens of the request; null = unbounded (the last tier).
    up_to_tokens             bigint        check (up_to_tokens is null or up_to_tokens >= 1),
    input_micros_per_token   numeric(30, 12) not null check (input_micros_per_token >= 0),
    output_micros_per_token  numeric(30, 12) not null check (output_micros_per_token >= 0),
    primary key (price_entry_id, tier_index)
);

create trigger price_entries_append_only before update or delete on price_entries
    for each row execute function billing_refuse_change();
create trigger price_tiers_append_only before update or delete on price_tiers
    for each row execute function billing_refuse_change();

-- Reserved capacity by the month. ends_at (exclusive) is set once, when the reservation is cancelled.
create table reservations (
    id                        varchar(64)     primary key,
    tenant_id                 varchar(64)     not null,
    scope_kind                varchar(16)     not null check (scope_kind in ('everything', 'base_model', 'adapters')),
    scope_base_model          text,
    -- 'base:adapter' for each adapter of an adapters scope.
    scope_adapters            text[],
    currency                  char(3)         not null default 'USD',
    fee_monthly_micros        bigint          not null check (fee_monthly_micros >= 0),
    allowance_monthly_tokens  bigint          not null check (allowance_monthly_tokens >= 0),
    overage_micros_per_token  numeric(30, 12) not null check (overage_micros_per_token >= 0),
    starts_at                 timestamptz     not null,
    ends_at                   timestamptz,
    created_at                timestamptz     not null default now(),
    cancelled_at              timestamptz,
    check (ends_at is null or ends_at > starts_at),
    check ((scope_kind = 'base_model') = (scope_base_model is not null)),
    check ((scope_kind = 'adapters') = (scope_adapters is not null and cardinality(scope_adapters) > 0))
);

create index reservations_tenant_idx on reservations (tenant_id);

-- Allowance drawn per reservation and period (first day of the UTC month); the consumer locks the row
-- (select … for update) while it rates, and adds the batch's draws in the same transaction.
create table reservation_allowance_usage (
    reservation_id         varchar(64) not null references reservations (id),
    period_start           date        not null,
    allowance_used_tokens  bigint      not null check (allowance_used_tokens >= 0),
    primary key (reservation_id, period_start)
);

-- Marketplace share of adapter charges that goes to the adapter's provider, in basis points: one default
-- row (adapter '*', base_model '*') and overrides per adapter.
create table provider_shares (
    base_model          text    not null,
    adapter             text    not null,
    provider_share_bps  integer not null check (provider_share_bps between 0 and 10000),
    primary key (base_model, adapter)
);

insert into provider_shares (base_model, adapter, provider_share_bps) values ('*', '*', 7000);

-- Invoices: one per tenant and period. A draft is live (computed from the ledger when read); finalizing
-- stores its lines and totals, after which the invoice and its lines are immutable.
create table invoices (
    id             uuid        primary key,
    tenant_id      varchar(64) not null,
    period_start   date        not null,
    currency       char(3)     not null default 'USD',
    status         varchar(16) not null check (status in ('draft', 'finalized')),
    number         varchar(32) unique,
    total_micros   bigint,
    total_minor    bigint,
    created_at     timestamptz not null default now(),
    finalized_at   timestamptz,
    unique (tenant_id, period_start),
    check ((status = 'finalized') = (number is not null and total_minor is not null and finalized_at is not null))
);

create sequence invoice_number_seq;

create table invoice_lines (
    invoice_id      uuid        not null references invoices (id),
    line_no         integer     not null,
    kind            varchar(32) not null,
    description     text        not null,
    base_model      text,
    adapter         text,
    reservation_id  varchar(64),
    tokens          bigint      not null,
    amount_micros   bigint      not null,
    amount_minor    bigint      not null,
    adjustment      boolean     not null,
    primary key (invoice_id, line_no)
);

create function invoices_refuse_change_when_finalized() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' or old.status = 'finalized' then
        raise exception 'invoice % is finalized (or deletion attempted): it is immutable', old.id
            using errcode = 'P0001';
    end if;
    return new;
end $$;

create trigger invoices_immutable_when_finalized before update or delete on invoices
    for each row execute function invoices_refuse_change_when_finalized();
create trigger invoice_lines_append_only before update or delete on invoice_lines
    for each row execute function billing_refuse_change();

-- The ledger: double-entry, append-only. A transaction's entries balance (sum of debits = sum of credits per
-- currency); a correction is a new transaction. kind: usage | reservation_fee | payout | reversal.
create table ledger_transactions (
    id                    uuid        primary key,
    kind                  varchar(32) not null check (kind in ('usage', 'reservation_fee', 'payout', 'reversal')),
    tenant_id             varchar(64),
    provider_id           text,
    usage_event_id        uuid,
    reservation_id        varchar(64),
    -- The period the money belongs to (the usage's month) and the invoice it is billed on: the same, or a
    -- later one when the usage's own invoice was already finalized (then it is an adjustment).
    period_start          date        not null,
    invoice_period_start  date,
    occurred_at           timestamptz not null,
    posted_at             timestamptz not null default now()
);

-- A usage event is posted once, whatever the redeliveries; a reservation's fee once per period.
create unique index ledger_transactions_usage_once on ledger_transactions (usage_event_id) where kind = 'usage';
create unique index ledger_transactions_fee_once on ledger_transactions (reservation_id, period_start)
    where kind = 'reservation_fee';
create index ledger_transactions_tenant_invoice_idx on ledger_transactions (tenant_id, invoice_period_start);
create index ledger_transactions_period_idx on ledger_transactions (period_start);

-- Accounts: tenant:<id>:receivable, platform:revenue, provider:<id>:payable, platform:cash.
-- Included reservation usage is posted with amount 0 (it moves no money) so invoices and statements can
-- show its tokens.
create table ledger_entries (
    id              bigserial   primary key,
    transaction_id  uuid        not null references ledger_transactions (id),
    account         varchar(160) not null,
    debit_micros    bigint      not null default 0 check (debit_micros >= 0),
    credit_micros   bigint      not null default 0 check (credit_micros >= 0),
    currency        char(3)     not null default 'USD',
    usage_event_id  uuid,
    charge_kind     varchar(32),
    base_model      text,
    adapter         text,
    reservation_id  varchar(64),
    tokens          bigint      not null default 0,
    check (debit_micros = 0 or credit_micros = 0)
);

create index ledger_entries_transaction_idx on ledger_entries (transaction_id);
create index ledger_entries_account_idx on ledger_entries (account);

create trigger ledger_transactions_append_only before update or delete on ledger_transactions
    for each row execute function billing_refuse_change();
create trigger ledger_entries_append_only before update or delete on ledger_entries
    for each row execute function billing_refuse_change();

-- Usage the consumer could not rate (no price in force at its time, or an input rating refuses). It is kept
-- here, visible to admins, and rated again when a price that covers it is added; it never blocks a partition.
create table unrated_usage (
    event_id         uuid        primary key references usage_records (event_id),
    tenant_id        varchar(64) not null,
    reason           text        not null,
    first_seen_at    timestamptz not null default now(),
    last_attempt_at  timestamptz not null default now(),
    attempts         integer     not null default 1
);

-- Per-tenant monthly budgets (alerts and the gateway's hard limit).

create table tenant_budgets (
    tenant_id              varchar(64) primary key,
    monthly_budget_micros  bigint      not null check (monthly_budget_micros > 0),
    alert_thresholds_pct   integer[]   not null default '{50,80,100}',
    hard_limit             boolean     not null default false,
    updated_at             timestamptz not null default now()
);

create table budget_alerts (
    tenant_id              varchar(64) not null,
    period_start           date        not null,
    threshold_pct          integer     not null,
    month_to_date_micros   bigint      not null,
    budget_micros          bigint      not null,
    raised_at              timestamptz not null default now(),
    primary key (tenant_id, period_start, threshold_pct)
);
