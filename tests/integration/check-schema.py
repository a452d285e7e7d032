#!/usr/bin/env python3
# Validate `husk check --format json` (stdin) against docs/husk-check.schema.json
# (argv[1]), and check that the counts agree with the findings.
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
doc = json.load(sys.stdin)
jsonschema.Draft7Validator.check_schema(schema)
jsonschema.validate(doc, schema, cls=jsonschema.Draft7Validator)
for sev, key in (("error", "errors"), ("warning", "warnings"), ("note", "notes")):
    n = sum(1 for f in doc["findings"] if f["severity"] == sev)
    if n != doc[key]:
        sys.exit(f"{key}: {doc[key]}, but {n} findings say {sev}")
print("valid")
