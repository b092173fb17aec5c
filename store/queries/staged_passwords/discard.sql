DELETE FROM staged_passwords WHERE flow_id = $1
