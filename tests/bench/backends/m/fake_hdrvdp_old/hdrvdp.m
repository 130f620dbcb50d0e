function res = hdrvdp(test, reference, color_encoding, ppd)
% Written for the itmn-bench tests; NOT HDR-VDP. Stands for a copy of another version.
res = struct('Q', 0, 'P_det', 0, 'C_max', 0, 'P_map', zeros(size(test, 1), size(test, 2)), 'C_map', zeros(size(test, 1), size(test, 2)));
end
