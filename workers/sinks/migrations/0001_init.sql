-- newsflow records in PostgreSQL: one row per (article, pipeline version), its entities and
-- events in child tables with queryable columns, and the full record as JSONB.
-- Applied by `newsflow db migrate` inside one transaction; never edit once released: add a
-- new numbered file instead.

CREATE TABLE articles (
    article_id          text        NOT NULL CHECK (article_id ~ '^[0-9a-f]{64}$'),
    pipeline_version    text        NOT NULL,
    schema_version      text        NOT NULL,
    title               text,
    outlet              text,
    url                 text,
    source_kind         text        NOT NULL,
    source_path         text,
    published_at        timestamptz,          -- when the article gives a time (UTC if naive)
    published_date      date,                 -- always set when any publication date is known
    published_at_origin text,
    language            text,
    dateline            text,
    byline              text,
    model               text,
    kb_version          text,
    entity_count        integer     NOT NULL,
    event_count         integer     NOT NULL,
    record              jsonb       NOT NULL,
    first_written_at    timestamptz NOT NULL DEFAULT now(),
    written_at          timestamptz NOT NULL DEFAULT now(),
    writes              integer     NOT NULL DEFAULT 1,   -- > 1: a redelivery was absorbed
    PRIMARY KEY (article_id, pipeline_version)
);
CREATE INDEX articles_published_date_idx ON articles (published_date);
CREATE INDEX articles_outlet_date_idx ON articles (outlet, published_date);
CREATE INDEX articles_written_at_idx ON articles (written_at);

CREATE TABLE entities (
    article_id       text    NOT NULL,
    pipeline_version text    NOT NULL,
    position         integer NOT NULL,     -- order in the record (ids need not be unique)
    entity_id        text    NOT NULL,
    name             text    NOT NULL,
    type             text    NOT NULL,
    country          char(3),
    wikidata         text,
    salience         real    NOT NULL,
    mention_count    integer NOT NULL,
    roles            text[]  NOT NULL DEFAULT '{}',
    aliases          text[]  NOT NULL DEFAULT '{}',
    PRIMARY KEY (article_id, pipeline_version, position),
    FOREIGN KEY (article_id, pipeline_version)
        REFERENCES articles (article_id, pipeline_version) ON DELETE CASCADE
);
CREATE INDEX entities_entity_id_idx ON entities (entity_id);
CREATE INDEX entities_wikidata_idx ON entities (wikidata) WHERE wikidata IS NOT NULL;
CREATE INDEX entities_type_name_idx ON entities (type, name);
CREATE INDEX entities_country_idx ON entities (country) WHERE country IS NOT NULL;

CREATE TABLE events (
    article_id        text    NOT NULL,
    pipeline_version  text    NOT NULL,
    position          integer NOT NULL,     -- order in the record (ids need not be unique)
    event_id          text    NOT NULL,
    fingerprint       text,
    type              text    NOT NULL,
    mode              text,
    cameo             text,
    trigger           text    NOT NULL,
    source_entity_id  text,
    source_name       text,
    source_country    char(3),
    target_entity_id  text,
    target_name       text,
    target_country    char(3),
    location_entity_id text,
    location_name     text,
    date_value        text,                 -- as in the record: 2024-05-01, 2024-05 or 2024
    date_precision    text,                 -- day | month | year
    date_start        date,                 -- first day of date_value's period
    date_end          date,                 -- last day of date_value's period
    date_text         text,
    negated           boolean NOT NULL,
    future            boolean NOT NULL,
    hypothetical      boolean NOT NULL,
    alleged           boolean NOT NULL,
    reported_by       text,
    confidence        real    NOT NULL,
    evidence          jsonb   NOT NULL,     -- {"text", "start", "end"}
    PRIMARY KEY (article_id, pipeline_version, position),
    FOREIGN KEY (article_id, pipeline_version)
        REFERENCES articles (article_id, pipeline_version) ON DELETE CASCADE
);
CREATE INDEX events_type_date_idx ON events (type, date_start);
CREATE INDEX events_date_idx ON events (date_start, date_end);
CREATE INDEX events_countries_idx ON events (source_country, target_country);
CREATE INDEX events_target_country_idx ON events (target_country);
CREATE INDEX events_fingerprint_idx ON events (fingerprint) WHERE fingerprint IS NOT NULL;
CREATE INDEX events_cameo_idx ON events (cameo) WHERE cameo IS NOT NULL;
CREATE INDEX events_source_entity_idx ON events (source_entity_id);
CREATE INDEX events_target_entity_idx ON events (target_entity_id);
