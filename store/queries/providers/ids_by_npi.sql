SELECT npi, id
FROM providers
WHERE npi = ANY($1::text[])
