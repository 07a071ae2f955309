"""The TypeScript types and Zod schemas front ends use are the pydantic models, regenerated and diffed."""

from __future__ import annotations

from pathlib import Path

from oppscout.bot.web import codegen


def test_the_checked_in_client_contract_is_what_the_models_generate(tmp_path: Path) -> None:
    generated = codegen.generate()
    for name, text in generated.items():
        checked_in = codegen.OUT_DIR / name
        assert checked_in.read_text(encoding="utf-8") == text, (
            f"{checked_in} is out of date: run python -m oppscout.bot.web.codegen"
        )
    assert codegen.main(["--check"]) == 0
    assert codegen.main(["--check", "--out", str(tmp_path)]) == 1, "a missing file is reported"


def test_optional_fields_are_optional_never_nullable_and_dates_are_dates() -> None:
    schemas = codegen.generate()["schemas.mjs"]
    types = codegen.generate()["types.ts"]
    assert ".nullable()" not in schemas
    assert "results: OpportunityResultsSchema.optional()," in schemas
    assert "estimatedCompletion: Date;" in types  # WorkerJobStatus: always a date
    assert "  estimatedCompletion: z.string().datetime({ offset: true }).pipe(z.coerce.date()),\n" in schemas
    assert 'export type AnalysisStatus = "queued" | "processing" | "completed" | "failed" | "cancelled";' in types
    assert 'export type ServiceState = "healthy" | "degraded" | "down";' in types
