# The two commands of the quick start; everything else is detail.
.PHONY: up test setup lint bench clean-data

setup:            ## install what is missing (npm packages, Temporal CLI, FerretDB, test server) and compile
	@bash scripts/setup.sh

up: setup         ## start the whole system on embedded defaults; Ctrl-C stops it
	@node dist/stack/up.js

test: setup       ## run every test (unit, workflow, activity, API, end to end)
	@npx eslint . && npx jest --maxWorkers=2 --forceExit

lint:
	@npx eslint .

clean-data:       ## forget the local stack's state (.data/)
	rm -rf .data
