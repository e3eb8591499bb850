-- 0031: short searches find words inside e-mail addresses (issue #13): "42" finds
-- user42@example.org, "bo" finds j.bond@example.org. The index's e-mail column now holds the
-- address and then its words, each after two spaces (emailWords in search.go, as the SQL
-- function gatehouse_email_words). Rebuilt once, as 0030 was: about 2 s per 100,000
-- accounts.

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
    SELECT rid, '  ' || replace(name_key, ' ', '  '), '  ' || email_key || gatehouse_email_words(email_key),
        '  ' || replace(coalesce((SELECT name_key FROM organizations WHERE id = accounts.organization_id), ''), ' ', '  ')
    FROM accounts;
INSERT INTO contacts_fts(rowid, name, email, organization)
    SELECT rid, '  ' || replace(name_key, ' ', '  '), '  ' || email_key || gatehouse_email_words(email_key),
        '  ' || replace(coalesce((SELECT name_key FROM organizations WHERE id = contacts.organization_id), ''), ' ', '  ')
    FROM contacts;
