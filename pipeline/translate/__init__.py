"""Translation stage: translation memory, glossary, machine translation (backends registry),
quality checks (checks registry) and XLIFF work packages."""
