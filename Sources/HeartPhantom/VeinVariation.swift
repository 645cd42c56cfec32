import Foundation

extension RealismField {
    /// The coronary venous tree drawn per patient (Phantoms/README.md, "Realism"): where the coronary sinus runs in
    /// the AV groove, where it starts and hands over to the great cardiac vein, where the interventricular veins
    /// start and end, and how many lateral branches leave it, where, how far down and how tortuous. Unset (nil, also
    /// under `realism: ideal`) every field keeps the fixed course of crtsim's earlier releases (`VenousTree`).
    static var veinFields: [RealismField] {
        [
            RealismField("veins.csAboveBaseMm", \.veins.csAboveBaseMm, unit: "mm", range: 1...12,
                         clinical: .normal(mean: 6, sd: 2.5), ideal: nil,
                         meaning: "height of the coronary sinus / great cardiac vein in the AV groove above the local mitral annulus ring (the base plane when the annulus is flat); unset 3",
                         source: "the CS runs on the atrial side of the mitral annulus at a highly variable distance: CS to mitral annulus plane median about 8 mm (Rottländer et al., Front Cardiovasc Med 2022;9:868562, 215 patients), 14 ± 4 mm in 3D (Plass et al., Eur J Cardiothorac Surg 2008;33:583); the LV base plane lies a few mm below the annulus, so the height above it is taken smaller, spread from those studies"),
            RealismField("veins.ostiumFromInferiorDeg", \.veins.ostiumFromInferiorDeg, unit: "degrees", range: -30...10,
                         clinical: .normal(mean: -8, sd: 7), ideal: nil,
                         meaning: "segment angle of the coronary sinus ostium from the inferior RV insertion (negative: septal); unset -5",
                         source: "the ostium lies in the posteroseptal right atrium at the crux, where the posterior interventricular groove meets the AV groove; crux variants in 37 % of CRT-age patients (Jongbloed et al., JACC 2005;45:749); spread an assumption covering the crux region"),
            RealismField("veins.greatCardiacVeinStartDeg", \.veins.greatCardiacVeinStartDeg, unit: "degrees", range: 190...290,
                         clinical: .normal(mean: 240, sd: 18), ideal: nil,
                         meaning: "segment angle where the coronary sinus becomes the great cardiac vein (vein of Marshall / valve of Vieussens); unset 240",
                         source: "CS length 109 ± 18 mm to 125 ± 17 mm on MSCT (Plass et al., Eur J Cardiothorac Surg 2008;33:583); the junction lies on the posterolateral to lateral AV groove (review, World J Radiol 2014;6(7):399); SD is the length SD at a 55-mm groove radius"),
            RealismField("veins.aivEndAngleDeg", \.veins.aivEndAngleDeg, unit: "degrees", range: 340...380,
                         clinical: .normal(mean: 360, sd: 6), ideal: nil,
                         meaning: "segment angle of the distal end of the anterior interventricular vein (360 = anterior RV insertion, above 360 towards the LV free wall); unset 358",
                         source: "the AIV follows the anterior interventricular groove in all patients (Jongbloed et al., JACC 2005;45:749; Sun et al., World J Cardiovasc Surg 2012;2:91); the spread, a few mm either side of the groove at the apex, is an assumption"),
            RealismField("veins.mcvOriginFromInferiorDeg", \.veins.mcvOriginFromInferiorDeg, unit: "degrees", range: -15...15,
                         clinical: .normal(mean: 0, sd: 5), ideal: nil,
                         meaning: "segment angle of the middle cardiac vein origin from the inferior RV insertion; unset 3",
                         source: "the middle cardiac (posterior interventricular) vein runs in the posterior interventricular groove and joins the CS at or near the ostium; in 8 % it drains separately (Jongbloed et al., JACC 2005;45:749); spread an assumption"),
            RealismField("veins.aivEndFraction", \.veins.aivEndFraction, unit: "(fraction of cavity length, base 0 to apex 1)", range: 0.6...1,
                         clinical: .normal(mean: 0.85, sd: 0.08), ideal: nil,
                         meaning: "where the AIV (and, 5 mm shorter, the middle cardiac vein) ends; unset 0.85",
                         source: "the AIV reaches the apical third in most hearts and wraps round the apex in some (review, World J Radiol 2014;6(7):399); spread an assumption"),
            RealismField("veins.branchEndFraction", \.veins.branchEndFraction, unit: "(fraction of cavity length, base 0 to apex 1)", range: 0.4...0.9,
                         clinical: .normal(mean: 0.65, sd: 0.1), ideal: nil,
                         meaning: "where the lateral branches end; unset 0.7",
                         source: "lateral and posterolateral veins are visible over the basal and mid LV, their lengths varying widely (Sun et al., World J Cardiovasc Surg 2012;2:91; Gach-Kuniewicz et al., Folia Morphol 2023;82:282); spread an assumption"),
            RealismField("veins.lateralBranchCount", \.veins.lateralBranchCount, unit: "—", range: 1...3, integer: true,
                         clinical: .uniform(min: 1, max: 3), ideal: nil,
                         meaning: "number of lateral / posterolateral branches when `lateralBranches` and `branchAnglesDeg` are not given; unset `lateralBranches`",
                         source: "posterolateral vein in 50 %, lateral in 65 % (Sun et al., World J Cardiovasc Surg 2012;2:91); posterior vein of the LV in 81 %, left marginal in 92 % (Acta Radiol 2011, doi 10.1258/ar.2011.100241); left marginal 63 % (Gach-Kuniewicz et al., Folia Morphol 2023;82:282). Patients without any (about 20 %) are not CRT-by-CS cases, so the count is at least 1; uniform(1, 3) rounded gives 1, 2, 3 branches in 25, 50, 25 %"),
            RealismField("veins.branchAngleShiftDeg", \.veins.branchAngleShiftDeg, unit: "degrees", range: -40...40,
                         clinical: .normal(mean: 0, sd: 15), ideal: nil,
                         meaning: "shift of the default branch angles about the LV (not applied to `branchAnglesDeg` given in the file); unset 0",
                         source: "distances along the CS between tributaries 42 ± 18 mm (PIV to posterior vein) and 40 ± 16 mm (posterior to marginal vein) (Jongbloed et al., JACC 2005;45:749); 15 degrees is about 15 mm at the groove"),
            RealismField("veins.branchSpacingScale", \.veins.branchSpacingScale, unit: "—", range: 0.5...1.6,
                         clinical: .normal(mean: 1, sd: 0.3), ideal: nil,
                         meaning: "scale of the spacing between the default branch angles about their mean; unset 1",
                         source: "coefficient of variation of the inter-tributary distances, 0.4 (Jongbloed et al., JACC 2005;45:749), and wider spacing over dilated LVs (Gach-Kuniewicz et al., Folia Morphol 2023;82:282)"),
            RealismField("veins.branchDriftDeg", \.veins.branchDriftDeg, unit: "degrees", range: -20...40,
                         clinical: .normal(mean: 12, sd: 10), ideal: nil,
                         meaning: "change of segment angle of a branch from its origin to its end (positive towards the anterior wall); unset 12",
                         source: "take-off angles of posterolateral and lateral veins 38-160 degrees (Sun et al., World J Cardiovasc Surg 2012;2:91), wider in heart failure (Acta Radiol 2011, doi 10.1258/ar.2011.100241); the drift along the wall that results is an assumption"),
            RealismField("veins.branchTortuosityMm", \.veins.branchTortuosityMm, unit: "mm", range: 0...5,
                         clinical: .uniform(min: 0, max: 3), ideal: nil,
                         meaning: "amplitude of a sinusoidal wiggle of the lateral branches across their course, on the epicardium (zero at both ends); unset 0",
                         source: "tortuosity of the coronary veins measured on MDCT, more marked in heart failure (Acta Radiol 2011, doi 10.1258/ar.2011.100241); amplitude an assumption"),
            RealismField("veins.branchTortuosityPeriodMm", \.veins.branchTortuosityPeriodMm, unit: "mm", range: 10...60,
                         clinical: .uniform(min: 15, max: 40), ideal: nil,
                         meaning: "period of the branch wiggle along the branch; unset 25 (no effect while the amplitude is 0)",
                         source: "assumption: one to three bends over a 40-70 mm branch"),
        ]
    }
}
