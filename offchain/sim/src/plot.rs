//! A small SVG line-chart writer (no dependencies): the run's plots.

use std::fmt::Write as _;

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend text (escaped on output).
    pub label: String,
    /// SVG stroke colour, e.g. `"red"` or `"#1f77b4"`.
    pub color: &'static str,
    /// One y value per sample, in the chart's unit; a non-finite value
    /// (NaN) draws no point and the line joins its neighbours across it.
    pub values: Vec<f64>,
    /// Dashed stroke (forecasts, tariffs).
    pub dashed: bool,
}

/// A chart: x is the sample index, labelled by `x_ticks`; the y axis spans
/// every line's finite values and 0.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Title above the plot (escaped on output).
    pub title: String,
    /// Y-axis label, with its unit, e.g. `kWh`.
    pub y_label: String,
    /// The lines, drawn and listed in the legend in this order.
    pub lines: Vec<Line>,
    /// X-axis labels: (sample index, text under it), with a vertical grid line.
    pub x_ticks: Vec<(usize, String)>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A "nice" step for about `target` ticks over `span`.
fn nice_step(span: f64, target: f64) -> f64 {
    if span <= 0.0 {
        return 1.0;
    }
    let raw = span / target;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let f = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    f * mag
}

impl Chart {
    /// Renders the chart as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let (w, h) = (960.0, 420.0);
        let (ml, mr, mt, mb) = (70.0, 190.0, 40.0, 50.0);
        let pw = w - ml - mr;
        let ph = h - mt - mb;
        let n = self.lines.iter().map(|l| l.values.len()).max().unwrap_or(0);
        let mut lo = 0f64;
        let mut hi = 0f64;
        for l in &self.lines {
            for &v in &l.values {
                if v.is_finite() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
        if hi <= lo {
            hi = lo + 1.0;
        }
        let step = nice_step(hi - lo, 6.0);
        lo = (lo / step).floor() * step;
        hi = (hi / step).ceil() * step;
        let x = |i: usize| ml + pw * i as f64 / (n.max(2) - 1) as f64;
        let y = |v: f64| mt + ph * (1.0 - (v - lo) / (hi - lo));

        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="{}" y="22" font-size="16" text-anchor="middle">{}</text>"#,
            ml + pw / 2.0,
            esc(&self.title)
        );
        // grid and y ticks
        let mut v = lo;
        while v <= hi + step * 0.5 {
            let yy = y(v);
            let _ = writeln!(
                s,
                r##"<line x1="{ml}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                ml + pw,
                ml - 6.0,
                yy + 4.0,
                fmt_num(v)
            );
            v += step;
        }
        for (i, label) in &self.x_ticks {
            let xx = x(*i);
            let _ = writeln!(
                s,
                r##"<line x1="{xx:.1}" y1="{mt}" x2="{xx:.1}" y2="{:.1}" stroke="#eee"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                mt + ph,
                mt + ph + 18.0,
                esc(label)
            );
        }
        let _ = writeln!(
            s,
            r#"<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="black"/>"#
        );
        let _ = writeln!(
            s,
            r#"<text transform="translate(16,{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            mt + ph / 2.0,
            esc(&self.y_label)
        );
        for (k, l) in self.lines.iter().enumerate() {
            let mut d = String::new();
            for (i, &v) in l.values.iter().enumerate() {
                if v.is_finite() {
                    let _ = write!(
                        d,
                        "{}{:.1},{:.1} ",
                        if d.is_empty() { "M" } else { "L" },
                        x(i),
                        y(v)
                    );
                }
            }
            let dash = if l.dashed {
                r#" stroke-dasharray="6,4""#
            } else {
                ""
            };
            let _ = writeln!(
                s,
                r#"<path d="{d}" fill="none" stroke="{}" stroke-width="1.6"{dash}/>"#,
                l.color
            );
            let ly = mt + 14.0 + 20.0 * k as f64;
            let lx = ml + pw + 12.0;
            let _ = writeln!(
                s,
                r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{}" stroke-width="2"{dash}/><text x="{}" y="{}">{}</text>"#,
                lx + 24.0,
                l.color,
                lx + 30.0,
                ly + 4.0,
                esc(&l.label)
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_has_one_path_per_line_and_escapes_text() {
        let c = Chart {
            title: "a < b & c".into(),
            y_label: "kWh".into(),
            lines: vec![
                Line {
                    label: "one".into(),
                    color: "red",
                    values: vec![0.0, 1.0, 2.0],
                    dashed: false,
                },
                Line {
                    label: "two".into(),
                    color: "blue",
                    values: vec![2.0, f64::NAN, 0.5],
                    dashed: true,
                },
            ],
            x_ticks: vec![(0, "00:00".into())],
        };
        let svg = c.to_svg();
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<path").count(), 2);
        assert!(svg.contains("a &lt; b &amp; c"));
        assert!(svg.contains("stroke-dasharray"));
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(10.0, 5.0), 2.0);
        assert_eq!(nice_step(1000.0, 6.0), 200.0);
        assert_eq!(nice_step(0.0, 6.0), 1.0);
    }
}
