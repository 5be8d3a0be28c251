{#
    Latest snapshot of mutable rows (staging). Amazon rewrites rows between pulls (ledger
    reconciled/unreconciled quantities move) and pull windows overlap, so the same row arrives in
    several documents. For each natural key keep ALL rows of the single latest document that
    contains it: rank by (_snapshot_at desc, _source_file desc) and keep rank 1. Rows with the
    same key inside one document are distinct events and are all kept.

    Before that, a row of one document landed twice (same document in two partitions) is kept
    once: (seller_id, _source_file, _row_number) identifies a row of a document.

    relation: a relation or CTE name; key_columns: list of column names; copy_order: optional
    extra ordering (SQL, e.g. '_landed_at desc') that makes the copy kept deterministic when its
    columns differ between copies (incremental models: the landed file). Returns a select of all
    columns of `relation` (plus the helper columns _document_rank and _copy_rank).
#}
{% macro latest_document_rows(relation, key_columns, copy_order=[]) -%}
    select *
    from (
        select
            copies.*,
            rank() over (
                partition by {{ key_columns | join(', ') }}
                order by copies._snapshot_at desc, copies._source_file desc
            ) as _document_rank
        from (
            select
                src.*,
                row_number() over (
                    partition by src.seller_id, src._source_file, src._row_number
                    order by src._snapshot_at desc
                    {%- for expression in copy_order %}, src.{{ expression }}{% endfor %}
                ) as _copy_rank
            from {{ relation }} as src
        ) as copies
        where copies._copy_rank = 1
    ) as ranked
    where ranked._document_rank = 1
{%- endmacro %}
