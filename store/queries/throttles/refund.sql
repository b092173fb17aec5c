-- Give back one reserved attempt that turned out not to count (a success on a slow-down key,
-- an attempt that checked nothing). A lock it caused stays: it ends by itself.
UPDATE throttles
SET failures = greatest(failures - 1, 0)
WHERE key = $1
