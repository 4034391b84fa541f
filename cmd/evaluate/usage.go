package main

const usage = `evaluate scores a partner's fact file against the Solutions Partner designation
rules in a policy bundle (the embedded default, or --policies DIR).

Examples:
  evaluate testcases/contoso.yaml                     score one partner for every designation
  evaluate --designation security partner.yaml        one designation (or several: a,b)
  evaluate -o json partner.yaml                       the result as JSON (SPEC §6 keys per designation)
  evaluate -o json a.yaml b.json                      several partners: a JSON array
  cat partner.json | evaluate -                       read the fact file from stdin
  evaluate --month 2026-09 partner.yaml               score another reporting month
  evaluate --as-of 2026-11-20 partner.yaml            count certifications on that day
  evaluate --policies ./my-policies partner.yaml      use an edited copy of policies/
  evaluate --explain --track smb partner.yaml         which tenants, people and rules made each number
  evaluate --months 2025-11..2026-10 partner.yaml     the score month by month, and the designation status
  evaluate -o html partner.yaml > report.html         a self-contained page to share (also -o markdown)
  evaluate -o jsonl --jsonl population.jsonl          many partners, in parallel, a result per line
  evaluate -o jsonl --jsonl --shard 0/4 -             one of four shards of a population on stdin
  evaluate --from partner-center exports/             score Partner Center exports (CSV) directly

Usage:
  evaluate [flags] FILE|FOLDER...       score fact files
  evaluate check [--policies DIR]       report every problem in a policy bundle
  evaluate test [--policies DIR] [PATH...]   run the Rego tests and golden cases
  evaluate diff --base-policies DIR [--policies DIR] FILE...   who a rule change affects
  evaluate import [--mapping FILE] EXPORTS...                  Partner Center exports into fact files
  evaluate gen [--tenants N] [--format json|yaml|jsonl|partner-center]   write a synthetic fact file (or exports)
  (evaluate COMMAND --help for each)

Flags:
%s
Exit codes, over every (partner, designation) pair scored:
  0  every partner qualified for every designation scored
  1  every file was evaluated and at least one partner did not qualify for one
  2  bad input (a fact file with errors), a bad policy bundle, or a usage error
`
