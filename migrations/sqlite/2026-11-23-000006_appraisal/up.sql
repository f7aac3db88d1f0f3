-- A unit's self-assessment dossier for a campaign, and its appraisal.
-- state: draft, submitted, in_explanation, approved. Times are UTC.
CREATE TABLE dossiers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    state TEXT NOT NULL,
    submitted_at TIMESTAMP,
    approved_by INTEGER REFERENCES users (id),
    approved_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (campaign_id, unit_id)
);

-- The unit's score per leaf criterion, with its evidence: an uploaded file
-- (kept under the data directory by its SHA-256) or a document reference.
CREATE TABLE self_scores (
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id),
    criterion TEXT NOT NULL,
    points_micro BIGINT NOT NULL,
    explanation TEXT NOT NULL,
    evidence_sha256 TEXT,
    evidence_name TEXT,
    evidence_size BIGINT,
    evidence_type TEXT,
    evidence_ref TEXT,
    updated_by INTEGER NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dossier_id, criterion)
);

-- The appraisers' decision per leaf. evidence: with_dossier, supplemented,
-- missing. points_micro is NULL when the criterion does not apply.
CREATE TABLE appraisals (
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id),
    criterion TEXT NOT NULL,
    points_micro BIGINT,
    evidence TEXT NOT NULL,
    not_applicable BOOLEAN NOT NULL,
    reason TEXT NOT NULL,
    appraiser_id INTEGER NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dossier_id, criterion)
);

-- A request to explain or add evidence for one criterion, and the answer.
CREATE TABLE explanations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id),
    criterion TEXT NOT NULL,
    request TEXT NOT NULL,
    requested_by INTEGER NOT NULL REFERENCES users (id),
    requested_at TIMESTAMP NOT NULL,
    answer TEXT,
    evidence_sha256 TEXT,
    evidence_name TEXT,
    evidence_size BIGINT,
    evidence_type TEXT,
    evidence_ref TEXT,
    answered_by INTEGER REFERENCES users (id),
    answered_at TIMESTAMP
);
CREATE INDEX explanations_dossier ON explanations (dossier_id, criterion);

-- Which appraiser appraises the criteria a department answers for.
CREATE TABLE appraiser_assignments (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    department TEXT NOT NULL,
    assigned_by INTEGER NOT NULL REFERENCES users (id),
    assigned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (campaign_id, user_id, department)
);

-- Append-only: every change of a dossier (scores, evidence status,
-- submission, explanations, approval). No row is ever updated or deleted.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id),
    criterion TEXT,
    actor_id INTEGER NOT NULL REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    action TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    reason TEXT
);
CREATE INDEX audit_log_dossier ON audit_log (dossier_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
