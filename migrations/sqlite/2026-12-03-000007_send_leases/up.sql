-- One sender of a campaign's invitations at a time, across processes and
-- instances: the holder renews its lease while it sends; a crashed
-- holder's lease runs out and the next sender takes over.
CREATE TABLE send_leases (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id),
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
