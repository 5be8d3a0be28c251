{#
    Latest snapshot of mutable rows (staging). Amazon rewrites rows between pulls (ledger
    reconciled/unreconciled quantities move) and pull windows overlap, so the same row arrives in
    several documents. For each natural key keep ALL rows of the single latest document that
    contains it: the latest by (_snapshot_at desc, _source_file desc). Rows with the same key
    inside one document are distinct events and are all kept.

    Before that, a row of one document landed twice (same document in two partitions) is kept
    once: (seller_id, _source_file, _row_number) identifies a row of a document.

    relation: a relation or CTE name; key_columns: list of column names; copy_order: optional
    extra ordering (SQL, e.g. '_landed_at desc') that makes the copy kept deterministic when its
    columns differ between copies (incremental models: the landed file); copy_file_column: optional
    column naming the landed file of a row (incremental models: _landed_file), which finds the
    documents landed more than once cheaper than the default (a _row_number seen twice). Returns a
    select of all columns of `relation` plus the helper column _copy_rank.

    How (the largest staging models hold millions of rows, so no window runs over the wide rows):
    the decisions are taken on narrow projections and applied by filtering the rows.
      - superseded: per natural key, the documents ranked below the latest one (a window over
        the distinct (key, document) pairs only). A row is kept unless its (key, document) pair
        is superseded.
      - documents landed in more than one file (rare: the same document under two windows): only
        their rows go through the copy window; every other row is its document's only copy.
    A model should mark the CTE it passes as `not materialized` (DuckDB otherwise materializes a
    CTE referenced several times, wide rows included).
#}
{% macro latest_document_rows(relation, key_columns, copy_order=[], copy_file_column=none) -%}
    {%- set key_match -%}
        {%- for column in key_columns %}
            superseded.{{ column }} is not distinct from kept.{{ column }} and
        {%- endfor %}
            superseded._source_file = kept._source_file
    {%- endset -%}
    {%- set multi_file_documents -%}
        select copies.seller_id, copies._source_file
        from {{ relation }} as copies
        group by copies.seller_id, copies._source_file
        {%- if copy_file_column %}
        having count(distinct copies.{{ copy_file_column }}) > 1
        {%- else %}
        having count(*) > count(distinct copies._row_number)
        {%- endif %}
    {%- endset -%}
    select kept.*
    from (
        select
            src.*,
            1 as _copy_rank
        from {{ relation }} as src
        where not exists (
            select 1
            from ({{ multi_file_documents }}) as multi
            where
                multi.seller_id = src.seller_id
                and multi._source_file = src._source_file
        )

        union all

        select copied.*
        from (
            select
                src.*,
                row_number() over (
                    partition by src.seller_id, src._source_file, src._row_number
                    order by src._snapshot_at desc
                    {%- for expression in copy_order %}, src.{{ expression }}{% endfor %}
                ) as _copy_rank
            from {{ relation }} as src
            where exists (
                select 1
                from ({{ multi_file_documents }}) as multi
                where
                    multi.seller_id = src.seller_id
                    and multi._source_file = src._source_file
            )
        ) as copied
        where copied._copy_rank = 1
    ) as kept
    where not exists (
        select 1
        from (
            select
                {%- for column in key_columns %}
                documents.{{ column }},
                {%- endfor %}
                documents._source_file
            from (
                select
                    key_documents.*,
                    rank() over (
                        partition by {{ key_columns | join(', ') }}
                        order by key_documents._snapshot_at desc, key_documents._source_file desc
                    ) as _document_rank
                from (
                    select distinct
                        {%- for column in key_columns %}
                        {{ column }},
                        {%- endfor %}
                        _snapshot_at,
                        _source_file
                    from {{ relation }}
                ) as key_documents
            ) as documents
            where documents._document_rank > 1
        ) as superseded
        where {{ key_match }}
    )
{%- endmacro %}
