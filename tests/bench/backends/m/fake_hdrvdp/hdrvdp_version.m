function ver = hdrvdp_version()
% Written for the itmn-bench tests: reports 2.22 like HDR-VDP 2.2.2.
ver = 2.22;
end
