-- 004_sealed_handoff: how a sealed Aadhaar number reaches the hub and is discarded.
--
-- The ciphertext (sealed to the hub's key at capture) is device-local, never an op. A tablet hands
-- it to its hub during sync for members with a pending demographic-authentication request and
-- records when the hub acknowledged it. Once ABDM has answered, the hub wipes its copy and, after
-- the outcome syncs back, so does the tablet (NHA: discard once the ABHA API has been called).
-- `aadhaar_spent_sealed_at` keeps the capture time of the last ciphertext wiped, so a late
-- re-send of the same ciphertext (a lost acknowledgement) is refused instead of kept again.
ALTER TABLE members ADD COLUMN aadhaar_handed_at INTEGER;
ALTER TABLE members ADD COLUMN aadhaar_spent_sealed_at INTEGER;
-- Only members still holding a sealed number: what the handoff and the wipe scan.
CREATE INDEX members_sealed ON members (pk) WHERE aadhaar_ciphertext IS NOT NULL;
