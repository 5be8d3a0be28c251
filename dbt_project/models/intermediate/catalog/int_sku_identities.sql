-- The FNSKU and ASIN each seller SKU (MSKU) is stocked under: the (FNSKU, ASIN) pair with the
-- most inventory ledger rows for the SKU (ties: lowest FNSKU, then ASIN). Used to name the
-- FNSKU/ASIN of claims whose source (order items, refunds, fee charges) carries only the SKU.
-- One pass over the ledger: the group-by and the ranking window run in the same select.

with

ledger as (
    select * from {{ ref('stg_amazon__ledger_events') }}
),

ranked as (
    select
        seller_id,
        msku as sku,
        fnsku,
        asin,
        count(*) as ledger_rows,
        row_number() over (
            partition by seller_id, msku
            order by count(*) desc, fnsku asc, asin asc
        ) as usage_rank
    from ledger
    where msku is not null and fnsku is not null
    group by seller_id, msku, fnsku, asin
)

select
    seller_id,
    sku,
    fnsku,
    asin,
    ledger_rows
from ranked
where usage_rank = 1
