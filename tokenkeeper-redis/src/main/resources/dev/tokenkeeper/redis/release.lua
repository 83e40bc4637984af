-- Gives a refresh lease up: compare-and-delete. A holder whose lease lapsed and was taken over
-- deletes nothing, so it never frees the new holder's lease.
-- KEYS[1] the lease; ARGV[1] the owner that releases. Returns 1 if deleted, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
