import { describe, expect, test } from "vitest";
import { newField } from "../schema/fieldTypes";
import { asGeoPoint, cellText, emptyValue, formatGeoPoint, parseCoordinate } from "./format";
import { valueEditors } from "./editors/registry";
import { optionEditors } from "../schema/fields/registry";

describe("geo points", () => {
  test("asGeoPoint reads the API's object or its JSON text; junk is 0, 0", () => {
    expect(asGeoPoint({ lon: 12.5, lat: 41.9 })).toEqual({ lon: 12.5, lat: 41.9 });
    expect(asGeoPoint('{"lat": 48.85, "lon": 2.35}')).toEqual({ lon: 2.35, lat: 48.85 });
    expect(asGeoPoint({ lon: "east", lat: 1 })).toEqual({ lon: 0, lat: 1 });
    expect(asGeoPoint(null)).toEqual({ lon: 0, lat: 0 });
    expect(asGeoPoint("not json")).toEqual({ lon: 0, lat: 0 });
  });

  test("parseCoordinate checks the ranges PocketBase checks", () => {
    expect(parseCoordinate("lon", " 12.4964 ")).toEqual({ value: 12.4964 });
    expect(parseCoordinate("lat", "")).toEqual({ value: 0 });
    expect(parseCoordinate("lon", "-180")).toEqual({ value: -180 });
    expect(parseCoordinate("lat", "90")).toEqual({ value: 90 });
    expect(parseCoordinate("lon", "180.1").error).toBe("Longitude must be between -180 and 180 degrees.");
    expect(parseCoordinate("lat", "-91").error).toBe("Latitude must be between -90 and 90 degrees.");
    expect(parseCoordinate("lat", "north").error).toBe("The latitude is not a number.");
  });

  test("a grid cell shows the point; the zero point is blank", () => {
    const f = newField("geoPoint", "at");
    expect(formatGeoPoint({ lon: 12.4964, lat: 41.9028 })).toBe("lon 12.4964, lat 41.9028");
    expect(cellText(f, { lon: -0.5, lat: 51 })).toBe("lon -0.5, lat 51");
    expect(cellText(f, { lon: 0, lat: 0 })).toBe("");
  });

  test("the type has a designer entry, an options editor, a value editor and an empty value", () => {
    const f = newField("geoPoint", "at");
    expect(f).toMatchObject({ type: "geoPoint", name: "at", required: false });
    expect(optionEditors.geoPoint.inputs(f)).toEqual([]);
    expect(valueEditors.geoPoint).toBeDefined();
    expect(emptyValue(f)).toEqual({ lon: 0, lat: 0 });
  });
});
