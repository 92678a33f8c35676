//! Canonical int8 quantisation. The rounding rules here are part of the attested result: change
//! them and every result hash changes.

/// Symmetric per-vector quantisation of f32 to int8: `q = round(x / max|x| · 127)`, rounding half
/// away from zero (`f32::round`), so the largest magnitude maps to ±127. Uses only IEEE-754
/// correctly-rounded operations (`/`, `*`, `round`), so every platform gets the same bytes for the
/// same input. All-zero (or empty) input gives zeros. Non-finite inputs are treated as 0.
pub fn quantize_f32(x: &[f32]) -> Vec<i8> {
    let max = x
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f32, |m, v| m.max(v.abs()));
    if max == 0.0 {
        return vec![0; x.len()];
    }
    x.iter()
        .map(|&v| {
            if !v.is_finite() {
                return 0;
            }
            let q = (v / max * 127.0).round();
            q.clamp(-127.0, 127.0) as i8
        })
        .collect()
}

/// Integer requantisation of i32 values to int8 by the vector's max magnitude:
/// `q = round_half_away(v · 127 / max|v|)`, computed exactly in i64. All-zero input gives zeros.
pub fn requantize_i32(v: &[i32]) -> Vec<i8> {
    let max = v.iter().map(|x| i64::from(*x).abs()).max().unwrap_or(0);
    if max == 0 {
        return vec![0; v.len()];
    }
    v.iter()
        .map(|&x| {
            let num = i64::from(x) * 127;
            // round half away from zero: (|num| * 2 + max) / (2 * max), sign restored.
            let mag = (num.abs() * 2 + max) / (2 * max);
            let q = if num < 0 { -mag } else { mag };
            q.clamp(-127, 127) as i8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_maps_max_to_127_and_rounds_half_away() {
        assert_eq!(quantize_f32(&[1.0, -1.0, 0.5, 0.0]), vec![127, -127, 64, 0]);
        assert_eq!(quantize_f32(&[0.0, 0.0]), vec![0, 0]);
        assert_eq!(quantize_f32(&[f32::NAN, 2.0]), vec![0, 127]);
    }

    #[test]
    fn requantize_is_exact_integer_rounding() {
        assert_eq!(
            requantize_i32(&[254, -254, 1, -1, 0]),
            vec![127, -127, 1, -1, 0]
        );
        // 127 * 3 / 254 = 1.5 -> 2 (half away from zero), and -1.5 -> -2.
        assert_eq!(requantize_i32(&[254, 3, -3]), vec![127, 2, -2]);
        assert_eq!(requantize_i32(&[i32::MIN, i32::MAX]), vec![-127, 127]);
        assert_eq!(requantize_i32(&[]), Vec::<i8>::new());
    }
}
