use std::io::Write;

use super::*;

const GOOD: &str = "slot,load_0,pv_0,load_1,pv_1\n900,178,0,10,50\n1800,50,60,0,0\n2700,1,2,3,4\n";

fn parse(text: &str, sel: &Selection) -> Result<HouseholdEnergy, DataError> {
    read_from(text.as_bytes(), Path::new("h.csv"), sel)
}

fn all() -> Selection {
    Selection::default()
}

#[test]
fn every_household_and_row_by_default() {
    let e = parse(GOOD, &all()).unwrap();
    assert_eq!(e.first_slot, 900);
    assert_eq!(e.households, vec![0, 1]);
    assert_eq!(e.load_wh, vec![vec![178, 50, 1], vec![10, 0, 3]]);
    assert_eq!(e.pv_wh, vec![vec![0, 60, 2], vec![50, 0, 4]]);
    assert_eq!(e.slots(), 3);
}

#[test]
fn a_window_of_rows_and_chosen_households_in_the_order_asked() {
    let sel = Selection {
        first_row: 1,
        rows: Some(2),
        households: Some(vec![1, 0]),
        fewer_rows_ok: false,
    };
    let e = parse(GOOD, &sel).unwrap();
    assert_eq!(e.first_slot, 1800);
    assert_eq!(e.households, vec![1, 0]);
    assert_eq!(e.load_wh, vec![vec![0, 3], vec![50, 1]]);
    assert_eq!(e.pv_wh, vec![vec![0, 4], vec![60, 2]]);
    // Columns in another order, households numbered sparsely.
    let e = parse("slot,pv_7,load_7,load_2,pv_2\n0,1,2,3,4\n", &all()).unwrap();
    assert_eq!(e.households, vec![2, 7]);
    assert_eq!((e.load_wh[1][0], e.pv_wh[1][0]), (2, 1));
}

#[test]
fn gzip_files_are_decompressed_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join(FILE_NAME);
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(GOOD.as_bytes()).unwrap();
    enc.finish().unwrap();
    let plain = dir.path().join("h.csv");
    std::fs::write(&plain, GOOD).unwrap();
    let a = read_dir(dir.path(), &all()).unwrap();
    let b = read(&plain, &all()).unwrap();
    assert_eq!(a, b);
    let err = read(&dir.path().join("missing.csv.gz"), &all()).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }), "{err}");
    assert!(err.to_string().contains("missing.csv.gz"), "{err}");
}

#[test]
fn a_bad_value_is_named_with_its_line_and_column() {
    let text = "slot,load_0,pv_0\n900,1,2\n1800,1.5,2\n";
    let err = parse(text, &all()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "h.csv: line 3, column load_0: \"1.5\" is not a whole number of Wh (0..=4294967295)"
    );
    for bad in ["-1", "", "4294967296", "x"] {
        let text = format!("slot,load_0,pv_0\n900,1,{bad}\n");
        let err = parse(&text, &all()).unwrap_err();
        assert!(
            matches!(&err, DataError::Value { line: 2, column, value, .. } if column == "pv_0" && value == bad),
            "{bad}: {err}"
        );
    }
    // Values outside the rows asked for are not read.
    let sel = Selection {
        rows: Some(1),
        ..all()
    };
    assert_eq!(parse(text, &sel).unwrap().load_wh, vec![vec![1]]);
}

#[test]
fn slots_out_of_sequence_are_refused_with_the_line() {
    let err = parse("slot,load_0,pv_0\n900,1,1\n2700,1,1\n", &all()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "h.csv: line 3: slot \"2700\", expected 1800 (rows are consecutive 900-second slots)"
    );
    let err = parse("slot,load_0,pv_0\n901,1,1\n", &all()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "h.csv: line 2: slot \"901\", expected a multiple of 900 (rows are consecutive 900-second slots)"
    );
    let err = parse("slot,load_0,pv_0\n900,1,1\nsoon,1,1\n", &all()).unwrap_err();
    assert!(matches!(err, DataError::Slot { line: 3, .. }), "{err}");
    // A gap before the rows kept is caught too.
    let sel = Selection {
        first_row: 2,
        ..all()
    };
    let err = parse("slot,load_0,pv_0\n0,1,1\n0,1,1\n1800,1,1\n", &sel).unwrap_err();
    assert!(matches!(err, DataError::Slot { line: 3, .. }), "{err}");
}

#[test]
fn malformed_headers_are_refused() {
    let cases = [
        (
            "time,load_0,pv_0\n",
            "the first column must be `slot`, found \"time\"",
        ),
        (
            "slot,load_0,pv_0,temp\n",
            "column 4 is \"temp\", expected load_<id> or pv_<id>",
        ),
        (
            "slot,load_0,pv_0,wind_0\n",
            "column 4 is \"wind_0\", expected load_<id> or pv_<id>",
        ),
        (
            "slot,load_01,pv_01\n",
            "column 2 is \"load_01\", expected load_<id> or pv_<id>",
        ),
        ("slot,load_0,pv_0,load_0\n", "column load_0 appears twice"),
        ("slot,load_0,pv_0,load_1\n", "load_1 has no pv_1 column"),
        ("slot,pv_3\n", "pv_3 has no load_3 column"),
    ];
    for (text, msg) in cases {
        let err = parse(text, &all()).unwrap_err();
        assert_eq!(err.to_string(), format!("h.csv: line 1: {msg}"), "{text}");
    }
}

#[test]
fn ragged_rows_unknown_households_and_short_files_are_named() {
    let err = parse("slot,load_0,pv_0\n900,1,1\n1800,1\n", &all()).unwrap_err();
    assert!(matches!(err, DataError::Row { line: 3, .. }), "{err}");
    assert!(err.to_string().starts_with("h.csv: line 3: "), "{err}");

    let sel = Selection {
        households: Some(vec![0, 5]),
        ..all()
    };
    let err = parse(GOOD, &sel).unwrap_err();
    assert_eq!(
        err.to_string(),
        "h.csv: no columns load_5 and pv_5: household 5 is not in the file"
    );

    let sel = Selection {
        first_row: 2,
        rows: Some(2),
        households: None,
        fewer_rows_ok: false,
    };
    let err = parse(GOOD, &sel).unwrap_err();
    assert_eq!(err.to_string(), "h.csv: 3 slot rows, rows 2..4 asked for");
    let sel = Selection {
        fewer_rows_ok: true,
        ..sel
    };
    let e = parse(GOOD, &sel).unwrap();
    assert_eq!((e.first_slot, e.slots()), (2700, 1));
}

#[test]
fn the_real_export_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/simbench");
    // Four days of two households from day 1: the window the callers take.
    let sel = Selection {
        first_row: 96,
        rows: Some(4 * 96),
        households: Some(vec![0, 117]),
        fewer_rows_ok: false,
    };
    let e = read_dir(&dir, &sel).unwrap();
    assert_eq!(e.first_slot, 1_451_606_400 + 96 * 900);
    assert_eq!((e.households.len(), e.slots()), (2, 384));
    let full = read_dir(&dir, &all()).unwrap();
    assert_eq!(full.households, (0..118).collect::<Vec<u32>>());
    assert_eq!(full.slots(), 366 * 96, "2016: a leap year of slots");
    assert_eq!(full.load_wh[0][0], 178, "first value of the file");
    assert_eq!(full.load_wh[117][96..480], e.load_wh[1][..]);
}

#[test]
fn meters_households_and_rows_map_both_ways() {
    assert_eq!(meter_of_household(1, 0), Some(1));
    assert_eq!(meter_of_household(10, 5), Some(15));
    assert_eq!(meter_of_household(u32::MAX, 1), None);
    assert_eq!(household_of_meter(10, 6, 15), Some(5));
    assert_eq!(household_of_meter(10, 6, 16), None);
    assert_eq!(household_of_meter(10, 6, 9), None);
    for i in 0..6 {
        let m = meter_of_household(10, i).unwrap();
        assert_eq!(household_of_meter(10, 6, u64::from(m)), Some(i));
    }
    let e = HouseholdEnergy {
        first_slot: 1800,
        households: vec![0],
        load_wh: vec![vec![1, 2, 3]],
        pv_wh: vec![vec![0, 0, 0]],
    };
    assert_eq!(e.row_of_slot(1800), Some(0));
    assert_eq!(e.row_of_slot(3600), Some(2));
    assert_eq!(e.row_of_slot(4500), None);
    assert_eq!(e.row_of_slot(900), None);
    assert_eq!(e.row_of_slot(2000), None);
}
