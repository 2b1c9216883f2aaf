"""MSM variants that were measured against zkescrow.bn254.msm and not adopted (see bench/RESULTS.md)."""
