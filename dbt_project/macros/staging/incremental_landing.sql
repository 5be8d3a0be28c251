{#
    Incremental staging over the landing zone (extractors/landing.py).

    The landing holds one Parquet file per (source, seller, window): a document lands as
    <source>/seller_id=<S>/window=<W>/data.parquet, and a re-pull of the same window replaces the
    file atomically (os.replace), so the older document's rows are gone from the landing. Daily
    pulls of a trailing look-back land under a new window label, so the same rows arrive in
    several files and latest_document_rows picks, per natural key, the rows of the latest
    document.

    An incremental staging model keeps, per row, the landed file it was read from (`_landed_file`,
    seller_id=<S>/window=<W>/data.parquet, relative to the source directory) and when that file
    was written (`_landed_at`, its modification time: the landing's own "landed at"). A run then:

      1. lists the landing (file names and modification times only: nothing is read) and takes
         as candidates the files written since the watermark max(_landed_at) minus
         var('staging_landing_lookback_hours', 24) (a margin for files renamed into place while the
         last build was listing, whose modification time predates the watermark), leaving out a
         file whose (_landed_file, _landed_at) the model already holds: that file is unchanged
         since it was read;
      2. reads the document id (_source_file) of the candidates only, and reads in full those
         whose (file, document) pair is not in the model yet: new windows, late-arriving
         documents whatever their _snapshot_at, and re-pulled windows (new document, same file);
      3. finds sellers whose already-loaded rows came from a file that was replaced by another
         document or deleted: such a seller is rebuilt from all its landed files (a pre-hook
         deletes its rows, the run reads all its files), because a row missing from the re-pull
         may still be the latest in another, older window, or nowhere any more;
      4. ranks the rows read together with the model's current rows of the same natural keys
         (latest_document_rows) and replaces those keys (delete+insert on the natural key).

    For every key touched the candidates are complete (the model holds the winner among the
    documents read before; the run adds the new ones), and keys not touched keep their rows, so
    the result equals a full refresh over the same landing. Files restored from a backup with
    their old modification times are not new to step 1: rebuild with --full-refresh.
#}

{% macro landing_source_dir(source_table) -%}
    {{- env_var('RECLAIM_HOME', '../data') ~ '/landing/parquet/' ~ source_table -}}
{%- endmacro %}


{#- The landed file of a path: seller_id=<S>/window=<W>/data.parquet (independent of where
    RECLAIM_HOME lives). -#}
{% macro landed_file_of(path_expression) -%}
    {{ return(adapter.dispatch('landed_file_of', 'fba_reclaim')(path_expression)) }}
{%- endmacro %}

{% macro duckdb__landed_file_of(path_expression) -%}
    regexp_extract({{ path_expression }}, 'seller_id=[^/]+/.*$')
{%- endmacro %}


{#- A null-safe row value of `columns`, for delete+insert on a natural key with NULL parts
    (DuckDB compares NULL fields of a struct as equal). -#}
{% macro null_safe_key(columns) -%}
    {{ return(adapter.dispatch('null_safe_key', 'fba_reclaim')(columns)) }}
{%- endmacro %}

{% macro duckdb__null_safe_key(columns) -%}
    row({{ columns | join(', ') }})
{%- endmacro %}

{% macro default__null_safe_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append(
            "coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')"
        ) -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{#-
    What an incremental run of the model over `source_table` reads: {'files': [absolute paths],
    'rebuild_sellers': [seller ids]} (see the top of this file). Empty outside an incremental
    run.
-#}
{% macro incremental_landing_plan(source_table) -%}
    {{ return(adapter.dispatch('incremental_landing_plan', 'fba_reclaim')(source_table)) }}
{%- endmacro %}

{% macro duckdb__incremental_landing_plan(source_table) -%}
    {%- set plan = {'files': [], 'rebuild_sellers': []} -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- set dir = fba_reclaim.landing_source_dir(source_table) -%}
    {%- set listing -%}
        select filename as path, {{ fba_reclaim.landed_file_of('filename') }} as landed_file
        from read_blob('{{ dir }}/**/*.parquet')
        where filename not like '%/_schema.parquet'
    {%- endset -%}
    {%- set candidates_sql -%}
        with watermark as (
            select
                max(_landed_at)
                - interval '{{ var("staging_landing_lookback_hours", 24) }} hours' as since
            from {{ this }}
        ),

        loaded_files as (
            select distinct
                _landed_file,
                _landed_at
            from {{ this }}
        )

        select blobs.filename
        from read_blob('{{ dir }}/**/*.parquet') as blobs
        where
            blobs.filename not like '%/_schema.parquet'
            and (
                (select since from watermark) is null
                or cast(blobs.last_modified as timestamp) >= (select since from watermark)
            )
            and not exists (
                select 1
                from loaded_files
                where
                    loaded_files._landed_file = {{ fba_reclaim.landed_file_of('blobs.filename') }}
                    and loaded_files._landed_at = cast(blobs.last_modified as timestamp)
            )
        order by blobs.filename
    {%- endset -%}
    {%- set candidates = run_query(candidates_sql).columns[0].values() | list -%}
    {%- set quoted = [] -%}
    {%- for path in candidates -%}
        {%- do quoted.append("'" ~ (path | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {%- set plan_sql -%}
        with

        listing as ({{ listing }}),

        candidate_docs as (
            {%- if quoted %}
                select distinct
                    filename as path,
                    {{ fba_reclaim.landed_file_of('filename') }} as landed_file,
                    _source_file
                from read_parquet(
                    [{{ quoted | join(', ') }}], filename = true, union_by_name = true
                )
            {%- else %}
                select
                    cast(null as varchar) as path,
                    cast(null as varchar) as landed_file,
                    cast(null as varchar) as _source_file
                where false
            {%- endif %}
        ),

        candidate_files as (
            select {{ fba_reclaim.landed_file_of('path') }} as landed_file
            from (
                select unnest([{{ quoted | join(', ') }}]::varchar[]) as path
            ) as paths
        ),

        loaded as (
            select distinct seller_id, _landed_file, _source_file
            from {{ this }}
        ),

        -- loaded rows whose file is gone or now holds another document
        superseded as (
            select distinct loaded.seller_id
            from loaded
            where
                loaded._landed_file not in (select listing.landed_file from listing)
                or (
                    loaded._landed_file in (select candidate_files.landed_file from candidate_files)
                    and not exists (
                        select 1
                        from candidate_docs
                        where
                            candidate_docs.landed_file = loaded._landed_file
                            and candidate_docs._source_file = loaded._source_file
                    )
                )
        ),

        to_read as (
            select candidate_docs.path
            from candidate_docs
            where not exists (
                select 1
                from loaded
                where
                    loaded._landed_file = candidate_docs.landed_file
                    and loaded._source_file = candidate_docs._source_file
            )
            union
            select listing.path
            from listing
            where
                regexp_extract(listing.landed_file, '^seller_id=([^/]+)/', 1)
                in (select superseded.seller_id from superseded)
        )

        select 'file' as kind, path as value from to_read
        union all
        select 'seller' as kind, seller_id as value from superseded
        order by kind, value
    {%- endset -%}
    {%- set result = run_query(plan_sql) -%}
    {%- for row in result.rows -%}
        {%- if row[0] == 'file' -%}
            {%- do plan['files'].append(row[1]) -%}
        {%- else -%}
            {%- do plan['rebuild_sellers'].append(row[1]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(plan) }}
{%- endmacro %}


{#-
    The landed rows a run of an incremental staging model reads, with _landed_file and
    _landed_at: every landed row (first build, --full-refresh: through the dbt source, which
    reads the Parquet with filename = true), or the files of incremental_landing_plan.
-#}
{% macro landed_rows(source_relation, source_table) -%}
    {{ return(adapter.dispatch('landed_rows', 'fba_reclaim')(source_relation, source_table)) }}
{%- endmacro %}

{% macro duckdb__landed_rows(source_relation, source_table) -%}
    {%- set dir = fba_reclaim.landing_source_dir(source_table) -%}
    {%- if is_incremental() -%}
        {%- set plan = fba_reclaim.incremental_landing_plan(source_table) -%}
        {#- The zero-row schema file keeps the list non-empty and every column present. -#}
        {%- set paths = [dir ~ '/_schema.parquet'] + plan['files'] -%}
        {%- set quoted = [] -%}
        {%- for path in paths -%}
            {%- do quoted.append("'" ~ (path | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- set rows_relation -%}
            read_parquet(
                [{{ quoted | join(', ') }}],
                union_by_name = true, hive_partitioning = false, filename = true
            )
        {%- endset -%}
        {%- set files_relation = "read_blob([" ~ (quoted | join(', ')) ~ "])" -%}
    {%- else -%}
        {%- set rows_relation = source_relation -%}
        {%- set files_relation = "read_blob('" ~ dir ~ "/**/*.parquet')" -%}
    {%- endif -%}
    select
        landed.*,
        {{ fba_reclaim.landed_file_of('landed.filename') }} as _landed_file,
        cast(files.last_modified as timestamp) as _landed_at
    from {{ rows_relation }} as landed
    left join {{ files_relation }} as files
        on landed.filename = files.filename
{%- endmacro %}


{#-
    Pre-hook of an incremental staging model: the rows of sellers to rebuild (a loaded file was
    replaced or deleted) go before the run re-reads all their files. A no-op otherwise.
-#}
{% macro delete_rows_of_rebuilt_sellers(source_table) -%}
    {%- set plan = fba_reclaim.incremental_landing_plan(source_table) -%}
    {%- if plan['rebuild_sellers'] -%}
        {%- set quoted = [] -%}
        {%- for seller in plan['rebuild_sellers'] -%}
            {%- do quoted.append("'" ~ (seller | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        delete from {{ this }} where seller_id in ({{ quoted | join(', ') }})
    {%- else -%}
        select 1 as nothing_to_rebuild
    {%- endif -%}
{%- endmacro %}


{#-
    The rows to rank in a run: the renamed landed rows and, in an incremental run, the model's
    current rows of the same natural keys (the winners among the documents read before).
-#}
{% macro incremental_candidates(relation, key_columns) -%}
    {{ return(adapter.dispatch('incremental_candidates', 'fba_reclaim')(relation, key_columns)) }}
{%- endmacro %}

{% macro duckdb__incremental_candidates(relation, key_columns) -%}
    select * from {{ relation }}
    {%- if is_incremental() %}
        union all by name
        select * from {{ this }} as loaded
        where {{ fba_reclaim.null_safe_key(key_columns) }} in (
            select {{ fba_reclaim.null_safe_key(key_columns) }} from {{ relation }}
        )
    {%- endif %}
{%- endmacro %}
