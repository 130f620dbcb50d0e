"""What the registry needs to build the ``public-v2`` dataset, as plain data (no imports of the
registry: :mod:`itmn.data.registry` builds the objects).

``public-v2`` = the 19 images of ``default`` + the 41 rows of ``manifests/public-v2.csv``, a
byte-identical copy of the curated manifest (../shared/data/manifest-public-v2.csv, sha256
:data:`MANIFEST_SHA256`; a test compares them when ../shared is present). The CSV gives each
image's repository, commit, path, sha256, size, format, resolution, licence and its source; this
module adds what the CSV does not say: the short name of each image, its projection, and the
licence file that travels with each repository's images.

Names: Poly Haven captures whose asset id is certain (the file name, or Blender's
``license.txt``) are ``ph_<asset id>`` like ``default``'s; the pmndrs/assets files whose id is
not given are ``pmn_<pmndrs name>``; the two 768 x 768 rectilinear crops of the ASTC encoder's
test set are ``astc_<asset id>`` (crops, not the panoramas); OpenUSD's dome light is
``usd_stinson_beach``.

Duplicate scenes: see :data:`DUPLICATE_CHECK`.
"""

from __future__ import annotations

MANIFEST = "manifests/public-v2.csv"
MANIFEST_SHA256 = "c20a37195e653bfb971467a5be2d7b3f2cd889a7de02f3b198519f0f49e66f8b"

#: (repository, path in the repository) -> (short name, projection)
NAMES: dict[tuple[str, str], tuple[str, str]] = {
    **{
        ("gkjohnson/3d-demo-data", f"hdri/{asset}_1k.hdr"): (f"ph_{asset}", "equirect")
        for asset in (
            "aerodynamics_workshop", "aristea_wreck_puresky", "autoshop_01", "brown_photostudio_01",
            "brown_photostudio_06", "brown_photostudio_07", "christmas_photo_studio_07", "circus_arena",
            "dancing_hall", "drachenfels_cellar", "hilly_terrain_01", "kloppenheim_05", "leadenhall_market",
            "modern_buildings_2", "narrow_moonlit_road", "noon_grass", "phalzer_forest_01",
            "st_peters_square_night", "studio_small_05", "thatch_chapel", "vestibule",
        )
    },
    **{
        ("pmndrs/assets", f"src/hdri/{n}.hdr"): (f"pmn_{n}", "equirect")
        for n in ("esplanade", "sky", "sunset", "venice", "workshop")
    },
    ("pmndrs/assets", "src/hdri/kloofendal_overcast_1k.hdr"): ("ph_kloofendal_overcast", "equirect"),
    # Blender's studio lights; Poly Haven ids from the folder's license.txt ("Night: Probably moonless_golf")
    ("blueish0930/BIKINI", "5.3/datafiles/studiolights/world/city.exr"): ("ph_portland_landing_pad", "equirect"),
    ("blueish0930/BIKINI", "5.3/datafiles/studiolights/world/courtyard.exr"): ("ph_courtyard", "equirect"),
    ("blueish0930/BIKINI", "5.3/datafiles/studiolights/world/night.exr"): ("ph_moonless_golf", "equirect"),
    ("PixarAnimationStudios/OpenUSD", "pxr/imaging/hdx/textures/StinsonBeach.hdr"): ("usd_stinson_beach", "equirect"),
    ("ARM-software/astc-encoder", "Test/Images/HDRIHaven/HDR-RGB/hdr-rgb-arboretum.exr"): ("astc_arboretum", "perspective"),
    ("ARM-software/astc-encoder", "Test/Images/HDRIHaven/HDR-RGB/hdr-rgb-bellparkpier.hdr"): ("astc_bell_park_pier", "perspective"),
    **{
        ("0beqz/realism-effects", f"example/public/hdr/{asset}_1k.hdr"): (f"ph_{asset}", "equirect")
        for asset in (
            "blue_grotto", "cave_wall", "crystal_falls", "future_parking", "quarry_02", "snowy_field",
            "spree_bank", "studio_small_08",
        )
    },
}  # fmt: skip

#: repository -> the licence text every image of that repository gets here (first word: the
#: licence identifier ``itmn data list`` counts; SPDX where SPDX has one)
LICENCES: dict[str, str] = {
    "gkjohnson/3d-demo-data": "CC0-1.0 (Poly Haven asset; the repository's README.md: 'HDRI files are from Polyhaven.com')",
    "pmndrs/assets": "CC0-1.0 (the repository's LICENSE; README: 'A selection of Polyhaven HDRIs')",
    "blueish0930/BIKINI": "CC0-1.0 (Poly Haven asset per the folder's license.txt; the repository itself is GPL-3.0)",
    "PixarAnimationStudios/OpenUSD": "LicenseRef-TOST-1.0 (Tomorrow Open Source Technology License 1.0: Apache-2.0 "
    "with another trademark section; OpenUSD's LICENSE.txt, no asset-specific note)",
    "ARM-software/astc-encoder": "CC0-1.0 (crops of HDRIHaven images per Test/Images/HDRIHaven/LICENSE.txt; "
    "the repository itself is Apache-2.0)",
    "0beqz/realism-effects": "CC0-1.0 (Poly Haven asset by its file name; the repository is MIT, LICENSE.md)",
}

#: licence files that travel with the images: (repository, commit, path, sha256, size), sha256 and
#: sizes from the shared mirror's SHA256SUMS. realism-effects' LICENSE is an empty file at that
#: commit; its text is LICENSE.md. 3d-demo-data has no licence file: its README.md is the source
#: the manifest cites for the Poly Haven origin.
LICENCE_FILES: tuple[tuple[str, str, str, str, int], ...] = (
    ("gkjohnson/3d-demo-data", "a79b5400ba8ed5bdeffebc10ce5adeecda7c3ebc", "README.md",
     "8bcb110692f4cec6e9cdc3b45dcda1e9535a7c831ddd63a896ac3239f997b039", 505),
    ("pmndrs/assets", "d8709a9b11247dc51b72bb32fade56048807d868", "LICENSE",
     "a2010f343487d3f7618affe54f789f5487602331c0a8d03f49e9a7c547cf0499", 7048),
    ("pmndrs/assets", "2b4ad10911b7fcda65a34c85589b50e6584a4712", "LICENSE",
     "a2010f343487d3f7618affe54f789f5487602331c0a8d03f49e9a7c547cf0499", 7048),
    ("blueish0930/BIKINI", "9b45c866c23962a941658c37f7f001773475bf0b", "5.3/datafiles/studiolights/world/license.txt",
     "adb4229abf8701b512dc75bab8e08610ecefb08e2b07e9ff5cdaf1e558195ee5", 707),
    ("PixarAnimationStudios/OpenUSD", "59992d2178afcebd89273759f2bddfe730e59aa8", "LICENSE.txt",
     "6324b95f7dcf156e6ea4d9458462739c812d2188cfa7e4447741fe953ea29d0b", 47378),
    ("ARM-software/astc-encoder", "86aa2eb70db4f67090d94bf547ebbde6f529c287", "Test/Images/HDRIHaven/LICENSE.txt",
     "f7230d5a427449430ec09e331f751ae8a7e26cafdc0af89c02e5312e4320de9b", 7244),
    ("0beqz/realism-effects", "061daeaefb7773d8a1a8e10fa95a184fbcda1fb7", "LICENSE.md",
     "102eb603dd0c862246aa5be791433bd6ca67ad5361098ec0f7fbe50d5176ac3e", 1062),
)  # fmt: skip

#: How "no scene twice" was checked (2025, on the shared mirror; repeated by
#: tests/itmn/test_data_public_v2.py::test_no_scene_twice).
DUPLICATE_CHECK = """\
1. Names: the Poly Haven asset ids of the 60 images (file names, Blender's license.txt, the
   manifest's scene column) are all different; the 8 Poly Haven panoramas of `default` are not
   among the 41.
2. Image fingerprints (itmn.data.fingerprint): every image reduced to a 128 x 64 (panorama) or
   64 x 64 (perspective, centre square) log-luminance thumbnail, the vertical profile (sky above,
   ground below) removed row by row and the polar eighths dropped, then the normalized
   cross-correlation of every pair of the same projection, maximised over all horizontal
   rotations and a mirror flip. Calibration: the same scene from another source (the Debian
   copies in ../shared/data/extra: courtyard, portland_landing_pad, moonless_golf, and the npm
   pmndrs copies esplanade, sunset, workshop, hall = dancing_hall) scores 0.996-1.000. Among the
   1231 pairs of the 60 images the highest is 0.80 (aristea_wreck_puresky vs pmn_sky, two
   different skies whose lower halves are both blurred reflections, checked by eye); everything
   else is below 0.67. No duplicate.
3. Series of one place: brown_photostudio_01/06/07 (one studio, three set-ups) and
   studio_small_05/08 are kept in one split each, so a test scene's room is never trained on.
"""
