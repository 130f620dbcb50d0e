function [imgOut, e_map] = KovaleskiOliveiraEO(img, type_content, s, r, dmin, dmax, g)
% Written for the itmn-bench tests; NOT the HDR Toolbox. Returns a brightness map in [1/4, 1],
% like the toolbox since 2019-08-12, so that the variant check can be tested.
e_map = 0.25 + 0.75 * img(:, :, 1);
imgOut = img .* e_map;
end
