-- Marketplace catalog: adapter versions published by providers, the content-addressed files they are made of,
-- providers' signing keys and the platform's license policy. See docs/catalog.md and docs/adr/0009-catalog.md.

-- One row per adapter id; the provider who owns the id is fixed by its first version.
create table catalog_adapters (
    id          varchar(64) primary key,
    provider    varchar(64) not null,
    created_at  timestamptz not null default now()
);

-- One row per immutable version. Files (path -> sha256, size) and the manifest as uploaded are kept as JSON.
create table catalog_versions (
    adapter_id                 varchar(64)     not null references catalog_adapters (id),
    version                    varchar(64)     not null,
    -- semver precedence, so "latest" is an order by: major, minor, patch, and 1 for a release (0 = pre-release)
    v_major                    bigint          not null,
    v_minor                    bigint          not null,
    v_patch                    bigint          not null,
    v_release                  smallint        not null,
    base_model                 text            not null,
    display_name               text            not null,
    description                text            not null default '',
    tags                       text[]          not null default '{}',
    license                    varchar(64)     not null,
    price_input_micros_per_token   numeric(30, 12) check (price_input_micros_per_token >= 0),
    price_output_micros_per_token  numeric(30, 12) check (price_output_micros_per_token >= 0),
    claims                     jsonb,
    manifest                   jsonb           not null,
    files                      jsonb           not null,
    total_bytes                bigint          not null,
    signed                     boolean         not null,
    visibility                 varchar(16)     not null check (visibility in ('public', 'private')),
    -- tenants that may use a private version (the provider's own tenant always may)
    tenants                    text[]          not null default '{}',
    status                     varchar(16)     not null check (status in ('draft', 'published', 'deprecated', 'retired')),
    successor                  varchar(130),
    created_by                 text            not null,
    created_at                 timestamptz     not null default now(),
    published_at               timestamptz,
    deprecated_at              timestamptz,
    retired_at                 timestamptz,
    primary key (adapter_id, version)
);

create index catalog_versions_base_idx on catalog_versions (base_model);

-- Base models registered by platform admins through the catalog (files under models/<id>/ in the store).
create table catalog_models (
    id           varchar(64) primary key,
    files        jsonb       not null,
    total_bytes  bigint      not null,
    created_by   text        not null,
    created_at   timestamptz not null default now()
);

-- Every stored file once, by content.
create table catalog_blobs (
    sha256      char(64)    primary key,
    size_bytes  bigint      not null,
    created_at  timestamptz not null default now()
);

-- A provider's Ed25519 public key (X.509 SubjectPublicKeyInfo, base64); signed versions are verified with it.
create table catalog_provider_keys (
    provider       varchar(64) primary key,
    public_key     text        not null,
    registered_at  timestamptz not null default now()
);

-- License policy for hosted adapters: SPDX id -> allow | deny. Licenses not listed follow
-- maas.catalog.license-default.
create table catalog_license_policy (
    spdx_id     varchar(64) primary key,
    decision    varchar(8)  not null check (decision in ('allow', 'deny')),
    updated_at  timestamptz not null default now()
);

insert into catalog_license_policy (spdx_id, decision) values
    ('GPL-3.0', 'deny'), ('GPL-3.0-only', 'deny'), ('GPL-3.0-or-later', 'deny'),
    ('AGPL-3.0', 'deny'), ('AGPL-3.0-only', 'deny'), ('AGPL-3.0-or-later', 'deny'),
    ('Apache-2.0', 'allow'), ('MIT', 'allow'), ('BSD-3-Clause', 'allow'), ('CC-BY-4.0', 'allow');
