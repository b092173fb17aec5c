DELETE FROM throttles WHERE key = $1
