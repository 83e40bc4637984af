-- Takes one identity's refresh lease and numbers the grant (the fencing number).
-- KEYS[1] the lease, KEYS[2] the fencing counter; ARGV[1] the new owner, ARGV[2] the ttl in ms.
-- Returns the fencing number, or 0 when another owner holds the lease. One script, so that the
-- numbers follow the order of the grants even when a holder stalls right after SET.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
