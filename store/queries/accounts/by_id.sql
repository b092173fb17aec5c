SELECT * FROM account_view WHERE id = $1
