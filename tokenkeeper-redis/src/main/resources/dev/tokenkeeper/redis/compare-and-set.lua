-- Replaces one identity's tokens if the stored version is still the expected one, and tells the
-- other keepers (PUBLISH) that it changed.
-- KEYS[1] the tokens hash; ARGV[1] the expected version, ARGV[2] the new version, ARGV[3] the
-- encoded tokens (JSON, or JWE with a key), ARGV[4] the change channel.
-- Returns 1 when written, 0 when another writer got there first.
local current = redis.call('HGET', KEYS[1], 'version')
if current == false then
  current = '0'
end
if current ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'tokens', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
