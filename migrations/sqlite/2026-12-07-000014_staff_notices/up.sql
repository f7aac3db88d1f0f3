-- Staff e-mail addresses, for the notices of the appraisal cycle.
ALTER TABLE users ADD COLUMN email TEXT;

-- Notices to staff (an explanation requested, an appraisal final, a deadline
-- near, a dossier submitted), rendered when queued and sent by the
-- background sender with retries. `dedup_key` makes queuing idempotent: the
-- reminder of a deadline is queued once per officer however often the
-- sender looks.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX notices_due ON notices (state, next_attempt_at);
