-- 0030: a faster search index (issue #4: initial sync and search over a million people).
--
-- The name, e-mail and organisation name are indexed in their folded form (name_key,
-- email_key: lower-case and accent-free already, so the tokenizer needs no diacritics
-- table), every word preceded by two spaces: "  anna  smith". So "  a", the start of a word
-- of one letter, is a trigram of its own, and " an" still is; every word of a search with a
-- long word in it is answered by the index alone, and no row has to be read to count or
-- choose the matches (search.go).
--
-- hashsize: the index collects this many bytes in memory before it writes a segment. With
-- the default (1 MB) an initial sync is written as hundreds of small segments that are
-- merged over and over; 16 MB takes about a quarter less CPU (measured on 100,000
-- accounts).
--
-- Upgrading rebuilds both indexes here, once: about 2 s per 100,000 accounts (21 s for a
-- cache of 1,000,000, measured), while Open waits.
--
-- The triggers of 0001 that queue rows for indexing stay as they are.

DROP TABLE accounts_fts;
DROP TABLE contacts_fts;
DELETE FROM search_queue;

CREATE VIRTUAL TABLE accounts_fts USING fts5(
    name, email, organization,
    content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO accounts_fts(accounts_fts, rank) VALUES ('hashsize', 16777216);
CREATE VIRTUAL TABLE contacts_fts USING fts5(
    name, email, organization,
    content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO contacts_fts(contacts_fts, rank) VALUES ('hashsize', 16777216);

-- As ftsText in search.go.
INSERT INTO accounts_fts(rowid, name, email, organization)
    SELECT rid, '  ' || replace(name_key, ' ', '  '), '  ' || email_key,
        '  ' || replace(coalesce((SELECT name_key FROM organizations WHERE id = accounts.organization_id), ''), ' ', '  ')
    FROM accounts;
INSERT INTO contacts_fts(rowid, name, email, organization)
    SELECT rid, '  ' || replace(name_key, ' ', '  '), '  ' || email_key,
        '  ' || replace(coalesce((SELECT name_key FROM organizations WHERE id = contacts.organization_id), ''), ' ', '  ')
    FROM contacts;
