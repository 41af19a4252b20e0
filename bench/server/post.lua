-- wrk: POST the stored-query invocation with the bearer token.
wrk.method = "POST"
wrk.body = '{"params":{"name":"Ada"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer s3cret"
