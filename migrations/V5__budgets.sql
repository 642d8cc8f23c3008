-- Per-tenant monthly budgets: alert thresholds (percent of the budget) recorded once per period, and an
-- optional hard limit the gateway enforces with 429 insufficient_quota. Month-to-date charges are read from
-- the ledger (usage of the month) plus the month's prorated reservation fees. See docs/billing.md.

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
