//! UTC calendar arithmetic for periods, without a date library (days from civil dates after
//! Howard Hinnant's algorithms).

const DAY_MS: i64 = 86_400_000;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(crate) fn day_bounds(ms: i64) -> (i64, i64) {
    let start = ms.div_euclid(DAY_MS) * DAY_MS;
    (start, start + DAY_MS)
}

pub(crate) fn month_bounds(ms: i64) -> (i64, i64) {
    let (y, m, _) = civil_from_days(ms.div_euclid(DAY_MS));
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(y, m, 1) * DAY_MS, days_from_civil(ny, nm, 1) * DAY_MS)
}

/// `ms` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn iso8601(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    let t = ms.rem_euclid(DAY_MS);
    let (h, min, s, milli) = (t / 3_600_000, t / 60_000 % 60, t / 1000 % 60, t % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_bounds_and_iso_dates() {
        // 2024-02-29T13:45:30.250Z, a leap day.
        let t = 1_709_214_330_250;
        assert_eq!(iso8601(t), "2024-02-29T13:45:30.250Z");
        let (from, to) = month_bounds(t);
        assert_eq!(
            (iso8601(from), iso8601(to)),
            ("2024-02-01T00:00:00.000Z".into(), "2024-03-01T00:00:00.000Z".into())
        );
        let (from, to) = day_bounds(t);
        assert_eq!(
            (iso8601(from), iso8601(to)),
            ("2024-02-29T00:00:00.000Z".into(), "2024-03-01T00:00:00.000Z".into())
        );
        let (from, to) = month_bounds(1_733_011_200_000 - 1); // 2024-11-30T23:59:59.999Z
        assert_eq!(
            (iso8601(from), iso8601(to)),
            ("2024-11-01T00:00:00.000Z".into(), "2024-12-01T00:00:00.000Z".into())
        );
        let (_, to) = month_bounds(1_734_000_000_000); // December rolls into January
        assert_eq!(iso8601(to), "2025-01-01T00:00:00.000Z");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
    }
}
