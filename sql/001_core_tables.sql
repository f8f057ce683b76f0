-- HERA's six tables with the production columns (docs: background/hera-schema.md).

-- HERA's smart-code rule: at least three segments between the industry code and a lower-case version.
create domain hera_smart_code as varchar(100)
  check (value ~ '^HERA\.[A-Z0-9]{3,15}(\.[A-Z0-9_]{2,30}){3,8}\.v[0-9]+$');

create table core_organizations (
  id uuid primary key default gen_random_uuid(),
  organization_name text not null,
  organization_code text not null unique,
  organization_type text default 'business_unit',
  industry_classification text,
  parent_organization_id uuid references core_organizations(id),
  ai_confidence numeric(5,4),
  ai_classification text,
  ai_insights jsonb default '{}',
  settings jsonb default '{}',
  status text default 'active',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  created_by uuid not null,
  updated_by uuid not null
);

create table core_entities (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references core_organizations(id) on delete cascade,
  entity_type text not null,
  entity_name text not null,
  entity_code text,
  entity_description text,
  parent_entity_id uuid references core_entities(id),
  smart_code hera_smart_code not null,
  smart_code_status text default 'DRAFT',
  ai_confidence numeric(5,4),
  ai_classification text,
  ai_insights jsonb default '{}',
  business_rules jsonb default '{}',
  metadata jsonb default '{}',
  tags text[],
  status text default 'active',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  created_by uuid not null,
  updated_by uuid not null,
  version int default 1
);

create table core_dynamic_data (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references core_organizations(id) on delete cascade,
  entity_id uuid not null references core_entities(id) on delete cascade,
  field_name text not null,
  field_type text default 'text',
  field_value_text text,
  field_value_number numeric(20,8),
  field_value_boolean boolean,
  field_value_date timestamptz,
  field_value_json jsonb,
  field_value_file_url text,
  calculated_value jsonb,
  smart_code hera_smart_code not null,
  smart_code_status text,
  ai_confidence numeric(5,4),
  ai_enhanced_value text,
  ai_insights jsonb,
  validation_rules jsonb,
  validation_status text default 'valid',
  field_order int,
  is_searchable boolean,
  is_required boolean,
  is_system_field boolean,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  created_by uuid not null,
  updated_by uuid not null,
  version int,
  unique (organization_id, entity_id, field_name)
);

create table core_relationships (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references core_organizations(id) on delete cascade,
  from_entity_id uuid not null references core_entities(id) on delete cascade,
  to_entity_id uuid not null references core_entities(id) on delete cascade,
  relationship_type text not null,
  relationship_direction text default 'forward',
  relationship_strength numeric(5,4) default 1,
  relationship_data jsonb default '{}',
  smart_code hera_smart_code not null,
  smart_code_status text,
  ai_confidence numeric(5,4),
  ai_classification text,
  ai_insights jsonb default '{}',
  business_logic jsonb,
  validation_rules jsonb,
  is_active boolean default true,
  effective_date timestamptz,
  expiration_date timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  created_by uuid not null,
  updated_by uuid not null,
  version int,
  check (from_entity_id <> to_entity_id)
);

create table universal_transactions (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references core_organizations(id) on delete cascade,
  transaction_type text not null,
  transaction_code text unique,
  transaction_date timestamptz default now(),
  source_entity_id uuid references core_entities(id),
  target_entity_id uuid references core_entities(id),
  total_amount numeric(19,4) not null default 0,
  transaction_status text default 'pending',
  reference_number text,
  external_reference text,
  smart_code hera_smart_code not null,
  smart_code_status text,
  ai_confidence numeric(5,4),
  ai_classification text,
  ai_insights jsonb default '{}',
  business_context jsonb default '{}',
  metadata jsonb default '{}',
  approval_required boolean,
  approved_by uuid,
  approved_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  created_by uuid not null,
  updated_by uuid not null,
  version int,
  transaction_currency_code text,
  base_currency_code text,
  exchange_rate numeric,
  exchange_rate_date date,
  exchange_rate_type text,
  fiscal_period_entity_id uuid,
  fiscal_year int,
  fiscal_period int,
  posting_period_code text
);

-- Outbox and idempotency guard, as in HERA's schema.
create unique index idx_ut_idem_key on universal_transactions (organization_id, (business_context->>'idem_key'))
  where business_context ? 'idem_key';

create table universal_transaction_lines (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references core_organizations(id) on delete cascade,
  transaction_id uuid not null references universal_transactions(id) on delete cascade,
  line_number int not null,
  entity_id uuid references core_entities(id),
  line_type text not null,
  description text,
  quantity numeric(20,8),
  unit_amount numeric(20,8),
  line_amount numeric(20,8),
  discount_amount numeric(20,8),
  tax_amount numeric(20,8),
  smart_code hera_smart_code not null,
  smart_code_status text,
  ai_confidence numeric(5,4),
  ai_classification text,
  ai_insights jsonb default '{}',
  line_data jsonb default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  created_by uuid not null,
  updated_by uuid not null,
  version int,
  unique (transaction_id, line_number),
  check (smart_code not like '%.GL.%' or line_data->>'side' in ('DR', 'CR'))
);

create index idx_ce_org_type on core_entities (organization_id, entity_type);
create index idx_cdd_entity on core_dynamic_data (entity_id);
create index idx_cr_org_from on core_relationships (organization_id, from_entity_id, relationship_type);
create index idx_ut_org_type_created on universal_transactions (organization_id, transaction_type, created_at desc, id desc);
create index idx_utl_transaction on universal_transaction_lines (transaction_id);
