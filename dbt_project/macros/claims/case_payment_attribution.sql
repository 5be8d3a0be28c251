{#
    Which claim of a Seller Support case a reimbursement line pays: CTE definitions (named
    <prefix>_...) to place in a model's WITH list; <prefix>_shares is the result.

    claims: seller_id, claim_id, claim_type, case_id, lifecycle_status, fnsku, sku, order_id,
            quantity, amount (claims filed under a case)
    lines:  seller_id, _source_file, _row_number, payment_kind, case_id (the case the line is
            paid or taken back under), amazon_order_id, fnsku, sku, quantity, line_amount

    A line goes to the claims of its case that it names, best match first:
      order_id        the line's order id is the claim's (and the FNSKUs do not differ)
      fnsku_quantity  same FNSKU (or SKU when the line has no FNSKU) and same quantity
      fnsku           same FNSKU (or SKU)
      case_by_amount  the line names no order, FNSKU or SKU: shared among the case's claims
    A claim with a recorded denial is never credited. Several claims at the best match share the
    line by amount (attribution gets the suffix _shared); each share is the difference of the
    rounded cumulative shares, so the shares add up to the line exactly. A line that matches no
    claim is kept whole with claim_id NULL and attribution 'unattributed'.
#}
{% macro case_payment_attribution(claims, lines, prefix) -%}
{%- set line_key = ['seller_id', '_source_file', '_row_number', 'payment_kind'] -%}
{{ prefix }}_candidates as (
    select
        {{ lines }}.seller_id,
        {{ lines }}._source_file,
        {{ lines }}._row_number,
        {{ lines }}.payment_kind,
        {{ claims }}.claim_id,
        {{ claims }}.claim_type,
        coalesce({{ claims }}.amount, 0) as claim_amount,
        case
            when
                {{ lines }}.amazon_order_id is not null
                and {{ claims }}.order_id = {{ lines }}.amazon_order_id
                and (
                    {{ lines }}.fnsku is null
                    or {{ claims }}.fnsku is null
                    or {{ claims }}.fnsku = {{ lines }}.fnsku
                )
                then 1
            when
                coalesce({{ claims }}.fnsku = {{ lines }}.fnsku, false)
                or (
                    {{ lines }}.fnsku is null
                    and coalesce({{ claims }}.sku = {{ lines }}.sku, false)
                )
                then case when {{ claims }}.quantity = {{ lines }}.quantity then 2 else 3 end
            when
                {{ lines }}.amazon_order_id is null
                and {{ lines }}.fnsku is null
                and {{ lines }}.sku is null
                then 4
        end as match_rank
    from {{ lines }}
    inner join {{ claims }}
        on
            {{ lines }}.seller_id = {{ claims }}.seller_id
            and {{ lines }}.case_id = {{ claims }}.case_id
    where coalesce({{ claims }}.lifecycle_status, '') != 'denied'
),

{{ prefix }}_ranked as (
    select
        *,
        min(match_rank) over (partition by {{ line_key | join(', ') }}) as best_rank
    from {{ prefix }}_candidates
    where match_rank is not null
),

{{ prefix }}_chosen as (
    select
        *,
        count(*) over (partition by {{ line_key | join(', ') }}) as claims_matched,
        sum(claim_amount) over (partition by {{ line_key | join(', ') }}) as matched_amount
    from {{ prefix }}_ranked
    where match_rank = best_rank
),

{{ prefix }}_weighted as (
    select
        {{ prefix }}_chosen.*,
        case when matched_amount > 0 then claim_amount else 1 end as claim_weight,
        case when matched_amount > 0 then matched_amount else claims_matched end as total_weight
    from {{ prefix }}_chosen
),

{{ prefix }}_cumulative as (
    select
        *,
        sum(claim_weight) over (
            partition by {{ line_key | join(', ') }}
            order by claim_id
            rows between unbounded preceding and current row
        ) as cumulative_weight
    from {{ prefix }}_weighted
),

{{ prefix }}_shares as (
    select
        {% for col in line_key %}{{ lines }}.{{ col }},
        {% endfor -%}
        {{ prefix }}_cumulative.claim_id,
        {{ prefix }}_cumulative.claim_type,
        case
            when {{ prefix }}_cumulative.claim_id is null then {{ lines }}.line_amount
            else
                (
                    case
                        when
                            {{ prefix }}_cumulative.cumulative_weight
                            >= {{ prefix }}_cumulative.total_weight
                            then {{ lines }}.line_amount
                        else cast(round(
                            {{ lines }}.line_amount * {{ prefix }}_cumulative.cumulative_weight
                            / {{ prefix }}_cumulative.total_weight, 2
                        ) as decimal(18, 2))
                    end
                )
                - cast(round(
                    {{ lines }}.line_amount
                    * ({{ prefix }}_cumulative.cumulative_weight
                        - {{ prefix }}_cumulative.claim_weight)
                    / {{ prefix }}_cumulative.total_weight, 2
                ) as decimal(18, 2))
        end as amount,
        case
            when {{ prefix }}_cumulative.claim_id is null then 'unattributed'
            else
                case {{ prefix }}_cumulative.best_rank
                    when 1 then 'order_id'
                    when 2 then 'fnsku_quantity'
                    when 3 then 'fnsku'
                    else 'case_by_amount'
                end
                || case
                    when
                        {{ prefix }}_cumulative.claims_matched > 1
                        and {{ prefix }}_cumulative.best_rank < 4
                        then '_shared'
                    else ''
                end
        end as attribution
    from {{ lines }}
    left join {{ prefix }}_cumulative
        on
        {%- for col in line_key %}
            {% if not loop.first %}and {% endif %}{{ lines }}.{{ col }} = {{ prefix }}_cumulative.{{ col }}
        {%- endfor %}
)
{%- endmacro %}
